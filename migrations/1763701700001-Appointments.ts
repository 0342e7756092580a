import type { MigrationInterface, QueryRunner } from 'typeorm';

// Appointments (docs/appointments.md, "Appointments"). A clinician is never booked twice for
// overlapping times: an exclusion constraint over (clinician, time range) of every appointment
// that is not cancelled, so two concurrent bookings cannot both commit. The constraint needs
// btree_gist (uuid equality inside a GiST index), a trusted extension since PostgreSQL 13.
export class Appointments1763701700001 implements MigrationInterface {
  name = 'Appointments1763701700001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE EXTENSION IF NOT EXISTS btree_gist`);
    await q.query(`
      CREATE TABLE "appointments" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "clinician_id" uuid NOT NULL,
        "patient_id" uuid NOT NULL,
        "room_id" uuid NOT NULL,
        "start_at" timestamptz NOT NULL,
        "end_at" timestamptz NOT NULL,
        "status" varchar(16) NOT NULL,
        "reason" varchar(500),
        "booked_by" uuid,
        "confirmed_at" timestamptz,
        "checked_in_at" timestamptz,
        "completed_at" timestamptz,
        "outcome" varchar(2000),
        "cancelled_at" timestamptz,
        "cancelled_by" uuid,
        "cancel_reason" varchar(500),
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "appointments_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "appointments_room_id_key" UNIQUE ("room_id"),
        CONSTRAINT "appointments_time_check" CHECK ("end_at" > "start_at"),
        CONSTRAINT "appointments_status_check" CHECK ("status" IN
          ('booked', 'checked_in', 'in_consultation', 'completed', 'cancelled', 'no_show')),
        CONSTRAINT "appointments_clinician_id_fkey" FOREIGN KEY ("clinician_id") REFERENCES "users" ("id"),
        CONSTRAINT "appointments_patient_id_fkey" FOREIGN KEY ("patient_id") REFERENCES "users" ("id"),
        CONSTRAINT "appointments_room_id_fkey" FOREIGN KEY ("room_id") REFERENCES "rooms" ("id"),
        CONSTRAINT "appointments_no_double_booking" EXCLUDE USING gist
          ("clinician_id" WITH =, tstzrange("start_at", "end_at", '[)') WITH &&)
          WHERE ("status" <> 'cancelled')
      )`);
    await q.query(
      `CREATE INDEX "appointments_patient_start_idx" ON "appointments" ("patient_id", "start_at")`,
    );
    await q.query(
      `CREATE INDEX "appointments_clinician_start_idx" ON "appointments" ("clinician_id", "start_at")`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "appointments"`);
  }
}
