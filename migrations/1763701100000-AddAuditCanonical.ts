import type { MigrationInterface, QueryRunner } from 'typeorm';

// Each record keeps the exact text that was hashed (canonical JSON of its fields), written
// with the record, so that the NDJSON export is the stored text and no re-rendering. Records
// written before this migration (or by an instance still running older code) have none; the
// partial index finds them cheaply, and the export renders those from their fields as before.
// Adding a nullable column rewrites no row and fires no trigger: the trail stays append-only.
// The index build reads the table once (about 2 s per million records here) while appends
// wait; docs/deployment.md says when to run it.
export class AddAuditCanonical1763701100000 implements MigrationInterface {
  name = 'AddAuditCanonical1763701100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "audit_events" ADD "canonical" text`);
    await q.query(
      `CREATE INDEX "audit_events_without_canonical_idx" ON "audit_events" ("seq") WHERE "canonical" IS NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "audit_events_without_canonical_idx"`);
    await q.query(`ALTER TABLE "audit_events" DROP COLUMN "canonical"`);
  }
}
