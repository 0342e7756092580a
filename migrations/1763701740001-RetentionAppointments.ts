import type { MigrationInterface, QueryRunner } from 'typeorm';

// The retention job destroys closed appointments older than RETENTION_APPOINTMENTS_DAYS
// (docs/compliance.md, "Retention"); each run records its cut-off and how many went. Runs made
// before this change carry no cut-off.
export class RetentionAppointments1763701740001 implements MigrationInterface {
  name = 'RetentionAppointments1763701740001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE "retention_runs"
        ADD COLUMN "appointments_before" timestamptz,
        ADD COLUMN "appointments_deleted" integer NOT NULL DEFAULT 0`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE "retention_runs"
        DROP COLUMN "appointments_deleted",
        DROP COLUMN "appointments_before"`);
  }
}
