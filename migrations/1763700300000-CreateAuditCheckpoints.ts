import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateAuditCheckpoints1763700300000 implements MigrationInterface {
  name = 'CreateAuditCheckpoints1763700300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "audit_checkpoints" (
        "seq" bigint NOT NULL,
        "hash" char(64) NOT NULL,
        "created_at" timestamptz NOT NULL,
        "key_id" varchar(32) NOT NULL,
        "prev_signature" varchar(128) NOT NULL,
        "signature" varchar(128) NOT NULL,
        CONSTRAINT "audit_checkpoints_pkey" PRIMARY KEY ("seq")
      )`);
    await q.query(`
      CREATE FUNCTION "audit_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION '% is append-only (% refused)', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(`
      CREATE TRIGGER "audit_checkpoints_no_update_delete" BEFORE UPDATE OR DELETE ON "audit_checkpoints"
      FOR EACH ROW EXECUTE FUNCTION "audit_append_only"()`);
    await q.query(`
      CREATE TRIGGER "audit_checkpoints_no_truncate" BEFORE TRUNCATE ON "audit_checkpoints"
      FOR EACH STATEMENT EXECUTE FUNCTION "audit_append_only"()`);
    // Privileges are the first line (docs/audit.md shows the application role's grants);
    // nobody gets changing rights through PUBLIC.
    await q.query(
      `REVOKE UPDATE, DELETE, TRUNCATE ON "audit_events", "audit_checkpoints" FROM PUBLIC`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "audit_checkpoints"`);
    await q.query(`DROP FUNCTION "audit_append_only"()`);
  }
}
