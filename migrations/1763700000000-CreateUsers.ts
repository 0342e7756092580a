import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateUsers1763700000000 implements MigrationInterface {
  name = 'CreateUsers1763700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "users" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "email" varchar(254) NOT NULL,
        "password_hash" varchar(255) NOT NULL,
        "display_name" varchar(120) NOT NULL,
        "role" varchar(32) NOT NULL,
        "status" varchar(16) NOT NULL DEFAULT 'active',
        "mfa_enabled" boolean NOT NULL DEFAULT false,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "users_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "users_role_check" CHECK ("role" IN ('patient', 'doctor', 'admin', 'compliance_officer')),
        CONSTRAINT "users_status_check" CHECK ("status" IN ('active', 'deactivated')),
        CONSTRAINT "users_email_lower_check" CHECK ("email" = lower("email"))
      )`);
    await q.query(`CREATE UNIQUE INDEX "users_email_key" ON "users" ("email")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "users"`);
  }
}
