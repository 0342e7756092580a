import type { MigrationInterface, QueryRunner } from 'typeorm';

// Clinicians' working hours (docs/appointments.md, "Availability and slots").
export class ClinicianAvailability1763701700000 implements MigrationInterface {
  name = 'ClinicianAvailability1763701700000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "clinician_availability" (
        "clinician_id" uuid NOT NULL,
        "timezone" varchar(64) NOT NULL,
        "slot_minutes" integer NOT NULL,
        "weekly" jsonb NOT NULL,
        "exceptions" jsonb NOT NULL,
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "clinician_availability_pkey" PRIMARY KEY ("clinician_id"),
        CONSTRAINT "clinician_availability_slot_minutes_check" CHECK ("slot_minutes" BETWEEN 5 AND 240),
        CONSTRAINT "clinician_availability_clinician_id_fkey" FOREIGN KEY ("clinician_id") REFERENCES "users" ("id") ON DELETE CASCADE
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "clinician_availability"`);
  }
}
