import type { MigrationInterface, QueryRunner } from 'typeorm';

// What each retention run destroyed (docs/compliance.md, Retention), and the mark on a
// consultation session whose participants were anonymized.
export class CreateRetentionRuns1763700800001 implements MigrationInterface {
  name = 'CreateRetentionRuns1763700800001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "retention_runs" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "trigger" varchar(16) NOT NULL,
        "started_at" timestamptz NOT NULL,
        "finished_at" timestamptz NOT NULL,
        "sessions_before" timestamptz NOT NULL,
        "calls_before" timestamptz NOT NULL,
        "sessions_anonymized" integer NOT NULL,
        "session_participants_deleted" integer NOT NULL,
        "calls_deleted" integer NOT NULL,
        "call_participants_deleted" integer NOT NULL,
        "audit_retention_days" integer NOT NULL,
        CONSTRAINT "retention_runs_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "retention_runs_trigger_check" CHECK ("trigger" IN ('schedule', 'command'))
      )`);
    await q.query(`CREATE INDEX "retention_runs_started_idx" ON "retention_runs" ("started_at")`);
    await q.query(`ALTER TABLE "room_sessions" ADD "anonymized_at" timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "room_sessions" DROP COLUMN "anonymized_at"`);
    await q.query(`DROP TABLE "retention_runs"`);
  }
}
