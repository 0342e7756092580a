import type { MigrationInterface, QueryRunner } from 'typeorm';

// The chain head (last seq, its hash and time) in a row of its own, so that appending takes
// the chain lock and reads the head in the statement that inserts: a row lock (FOR UPDATE)
// returns the row as the previous writer committed it, which a read of audit_events inside the
// locking statement could not (its snapshot predates the lock). A statement trigger keeps the
// row at the last record whoever inserts (the batch path, an instance still running the
// previous release, test fixtures), so the row never has to be trusted over the records:
// a stale head can only make an insert fail on the primary key, never fork the chain.
// The head is seeded from the last record (one index read), so the migration is instant.
export class AddAuditChainHead1763701200000 implements MigrationInterface {
  name = 'AddAuditChainHead1763701200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "audit_chain_head" (
        "id" smallint PRIMARY KEY CHECK ("id" = 1),
        "seq" bigint NOT NULL,
        "hash" text NOT NULL,
        "occurred_at" timestamptz
      )`);
    await q.query(`
      INSERT INTO "audit_chain_head" ("id", "seq", "hash", "occurred_at")
      SELECT 1, coalesce(e.seq, 0), coalesce(e.hash, repeat('0', 64)), e.occurred_at
        FROM (SELECT 1) AS one
        LEFT JOIN LATERAL (SELECT seq, hash, occurred_at FROM "audit_events"
                            ORDER BY seq DESC LIMIT 1) e ON true`);
    await q.query(`
      CREATE FUNCTION "audit_chain_head_follow"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE "audit_chain_head" h
           SET seq = n.seq, hash = n.hash, occurred_at = n.occurred_at
          FROM (SELECT seq, hash, occurred_at FROM new_rows ORDER BY seq DESC LIMIT 1) n
         WHERE h.id = 1 AND n.seq > h.seq;
        RETURN NULL;
      END
      $$`);
    await q.query(`
      CREATE TRIGGER "audit_events_chain_head" AFTER INSERT ON "audit_events"
        REFERENCING NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION "audit_chain_head_follow"()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER "audit_events_chain_head" ON "audit_events"`);
    await q.query(`DROP FUNCTION "audit_chain_head_follow"()`);
    await q.query(`DROP TABLE "audit_chain_head"`);
  }
}
