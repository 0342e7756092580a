import type { MigrationInterface, QueryRunner } from 'typeorm';

// The waiting person's pre-call check (docs/appointments.md, "The queue"): whether their camera,
// microphone and connection passed, when, and a short technical note, shown to the clinician
// beside their place in the queue.
export class AppointmentPrecheck1763701740000 implements MigrationInterface {
  name = 'AppointmentPrecheck1763701740000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE "appointments"
        ADD COLUMN "precheck_passed" boolean,
        ADD COLUMN "precheck_at" timestamptz,
        ADD COLUMN "precheck_details" varchar(500)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE "appointments"
        DROP COLUMN "precheck_details",
        DROP COLUMN "precheck_at",
        DROP COLUMN "precheck_passed"`);
  }
}
