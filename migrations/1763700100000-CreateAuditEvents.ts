import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateAuditEvents1763700100000 implements MigrationInterface {
  name = 'CreateAuditEvents1763700100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "audit_events" (
        "seq" bigint NOT NULL,
        "occurred_at" timestamptz NOT NULL,
        "actor_user_id" uuid,
        "actor_role" varchar(32),
        "actor_ip" varchar(64),
        "actor_user_agent" varchar(512),
        "action" varchar(64) NOT NULL,
        "outcome" varchar(16) NOT NULL,
        "resource_type" varchar(64),
        "resource_id" varchar(128),
        "subject_id" uuid,
        "request_id" varchar(128),
        "details" jsonb NOT NULL DEFAULT '{}',
        "prev_hash" char(64) NOT NULL,
        "hash" char(64) NOT NULL,
        CONSTRAINT "audit_events_pkey" PRIMARY KEY ("seq"),
        CONSTRAINT "audit_events_outcome_check" CHECK ("outcome" IN ('success', 'failure', 'denied'))
      )`);
    await q.query(`CREATE INDEX "audit_events_occurred_at_idx" ON "audit_events" ("occurred_at")`);
    await q.query(
      `CREATE INDEX "audit_events_actor_idx" ON "audit_events" ("actor_user_id", "seq")`,
    );
    await q.query(
      `CREATE INDEX "audit_events_subject_idx" ON "audit_events" ("subject_id", "seq")`,
    );
    await q.query(`CREATE INDEX "audit_events_action_idx" ON "audit_events" ("action", "seq")`);
    // Append-only, enforced by the database for every role: rows can be inserted, never
    // changed or removed.
    await q.query(`
      CREATE FUNCTION "audit_events_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_events is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(`
      CREATE TRIGGER "audit_events_no_update_delete" BEFORE UPDATE OR DELETE ON "audit_events"
      FOR EACH ROW EXECUTE FUNCTION "audit_events_append_only"()`);
    await q.query(`
      CREATE TRIGGER "audit_events_no_truncate" BEFORE TRUNCATE ON "audit_events"
      FOR EACH STATEMENT EXECUTE FUNCTION "audit_events_append_only"()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "audit_events"`);
    await q.query(`DROP FUNCTION "audit_events_append_only"()`);
  }
}
