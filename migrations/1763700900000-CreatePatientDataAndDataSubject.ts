import type { MigrationInterface, QueryRunner } from 'typeorm';

// Encrypted patient profiles (envelope encryption), break-glass grants, erasure requests and
// the record of what each erasure destroyed. See docs/patient-data.md.
export class CreatePatientDataAndDataSubject1763700900000 implements MigrationInterface {
  name = 'CreatePatientDataAndDataSubject1763700900000';

  async up(q: QueryRunner): Promise<void> {
    // One row per person: their data key, wrapped by the master key `key_id`. Deleting the
    // row crypto-shreds every encrypted field of that person.
    await q.query(`
      CREATE TABLE "patient_data_keys" (
        "user_id" uuid NOT NULL,
        "key_id" varchar(32) NOT NULL,
        "wrapped_key" varchar(255) NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "rotated_at" timestamptz,
        CONSTRAINT "patient_data_keys_pkey" PRIMARY KEY ("user_id"),
        CONSTRAINT "patient_data_keys_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE
      )`);
    await q.query(`CREATE INDEX "patient_data_keys_key_id_idx" ON "patient_data_keys" ("key_id")`);

    // Ciphertext only; national_id_index is the keyed blind index (HMAC-SHA256, hex).
    await q.query(`
      CREATE TABLE "patient_profiles" (
        "user_id" uuid NOT NULL,
        "national_id" varchar(255),
        "national_id_index" char(64),
        "date_of_birth" varchar(255),
        "phone" varchar(255),
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "patient_profiles_pkey" PRIMARY KEY ("user_id"),
        CONSTRAINT "patient_profiles_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE
      )`);
    await q.query(
      `CREATE INDEX "patient_profiles_national_id_index_idx" ON "patient_profiles" ("national_id_index")`,
    );

    await q.query(`
      CREATE TABLE "break_glass_grants" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "doctor_id" uuid NOT NULL,
        "patient_id" uuid NOT NULL,
        "reason" varchar(1000) NOT NULL,
        "started_at" timestamptz NOT NULL DEFAULT now(),
        "expires_at" timestamptz NOT NULL,
        "ended_at" timestamptz,
        "ended_by_id" uuid,
        "expiry_recorded_at" timestamptz,
        CONSTRAINT "break_glass_grants_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "break_glass_grants_doctor_id_fkey" FOREIGN KEY ("doctor_id") REFERENCES "users" ("id") ON DELETE RESTRICT,
        CONSTRAINT "break_glass_grants_patient_id_fkey" FOREIGN KEY ("patient_id") REFERENCES "users" ("id") ON DELETE RESTRICT
      )`);
    await q.query(
      `CREATE INDEX "break_glass_grants_doctor_patient_idx" ON "break_glass_grants" ("doctor_id", "patient_id", "expires_at")`,
    );
    await q.query(
      `CREATE INDEX "break_glass_grants_patient_idx" ON "break_glass_grants" ("patient_id")`,
    );
    await q.query(
      `CREATE INDEX "break_glass_grants_expiry_idx" ON "break_glass_grants" ("expires_at") WHERE "ended_at" IS NULL AND "expiry_recorded_at" IS NULL`,
    );

    await q.query(`
      CREATE TABLE "erasure_requests" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "user_id" uuid NOT NULL,
        "status" varchar(16) NOT NULL,
        "requested_at" timestamptz NOT NULL DEFAULT now(),
        "due_at" timestamptz NOT NULL,
        "decided_at" timestamptz,
        "decided_by_id" uuid,
        "reason" varchar(1000),
        CONSTRAINT "erasure_requests_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "erasure_requests_status_check" CHECK ("status" IN ('open', 'erased', 'rejected')),
        CONSTRAINT "erasure_requests_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE RESTRICT
      )`);
    await q.query(
      `CREATE UNIQUE INDEX "erasure_requests_one_open_per_user" ON "erasure_requests" ("user_id") WHERE "status" = 'open'`,
    );
    await q.query(
      `CREATE INDEX "erasure_requests_status_due_idx" ON "erasure_requests" ("status", "due_at", "id")`,
    );

    // What an approved erasure destroyed: counts per table, never the destroyed values.
    await q.query(`
      CREATE TABLE "erasure_destruction_records" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "request_id" uuid NOT NULL,
        "subject_id" uuid NOT NULL,
        "performed_by_id" uuid NOT NULL,
        "performed_at" timestamptz NOT NULL DEFAULT now(),
        "method" varchar(64) NOT NULL,
        "destroyed" jsonb NOT NULL,
        CONSTRAINT "erasure_destruction_records_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "erasure_destruction_records_request_id_fkey" FOREIGN KEY ("request_id") REFERENCES "erasure_requests" ("id") ON DELETE RESTRICT
      )`);
    await q.query(
      `CREATE INDEX "erasure_destruction_records_subject_idx" ON "erasure_destruction_records" ("subject_id")`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "erasure_destruction_records"`);
    await q.query(`DROP TABLE "erasure_requests"`);
    await q.query(`DROP TABLE "break_glass_grants"`);
    await q.query(`DROP TABLE "patient_profiles"`);
    await q.query(`DROP TABLE "patient_data_keys"`);
  }
}
