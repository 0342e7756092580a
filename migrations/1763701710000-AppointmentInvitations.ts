import type { MigrationInterface, QueryRunner } from 'typeorm';

// Invitation links (docs/appointments.md, "Invitations"). Each invitation names the person
// invited (a guest actor: a `users` row of role `guest` that cannot sign in, so presence,
// sessions and the audit trail name them like anyone else), how to reach them, and the hash of
// its current one-time token (never the token). `device_hash` binds the link to the first
// device that redeemed it.
export class AppointmentInvitations1763701710000 implements MigrationInterface {
  name = 'AppointmentInvitations1763701710000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "users" DROP CONSTRAINT "users_role_check"`);
    await q.query(`
      ALTER TABLE "users" ADD CONSTRAINT "users_role_check"
        CHECK ("role" IN ('patient', 'doctor', 'admin', 'compliance_officer', 'guest'))`);
    // In presence, a guest shows with the role the invitation gave it.
    await q.query(`ALTER TABLE "room_members" DROP CONSTRAINT "room_members_role_check"`);
    await q.query(`
      ALTER TABLE "room_members" ADD CONSTRAINT "room_members_role_check"
        CHECK ("role" IN ('host', 'participant', 'guest', 'interpreter', 'companion'))`);
    await q.query(`
      CREATE TABLE "appointment_invitations" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "appointment_id" uuid NOT NULL,
        "guest_id" uuid NOT NULL,
        "role" varchar(16) NOT NULL,
        "name" varchar(120) NOT NULL,
        "email" varchar(254),
        "phone" varchar(20),
        "locale" varchar(8),
        "token_hash" char(64) NOT NULL,
        "device_hash" char(64),
        "redeemed_at" timestamptz,
        "last_sent_at" timestamptz,
        "revoked_at" timestamptz,
        "revoked_by" uuid,
        "created_by" uuid,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "appointment_invitations_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "appointment_invitations_token_hash_key" UNIQUE ("token_hash"),
        CONSTRAINT "appointment_invitations_role_check"
          CHECK ("role" IN ('patient', 'guest', 'interpreter', 'companion')),
        CONSTRAINT "appointment_invitations_email_lower_check" CHECK ("email" = lower("email")),
        CONSTRAINT "appointment_invitations_appointment_id_fkey" FOREIGN KEY ("appointment_id")
          REFERENCES "appointments" ("id") ON DELETE CASCADE,
        CONSTRAINT "appointment_invitations_guest_id_fkey" FOREIGN KEY ("guest_id")
          REFERENCES "users" ("id") ON DELETE CASCADE
      )`);
    await q.query(
      `CREATE INDEX "appointment_invitations_appointment_idx" ON "appointment_invitations" ("appointment_id")`,
    );
    await q.query(
      `CREATE INDEX "appointment_invitations_guest_idx" ON "appointment_invitations" ("guest_id")`,
    );
    await q.query(
      `CREATE INDEX "appointment_invitations_email_idx" ON "appointment_invitations" ("email") WHERE "email" IS NOT NULL`,
    );
    await q.query(
      `CREATE INDEX "appointment_invitations_phone_idx" ON "appointment_invitations" ("phone") WHERE "phone" IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "appointment_invitations"`);
    await q.query(`DELETE FROM "room_members" WHERE "role" NOT IN ('host', 'participant')`);
    await q.query(`ALTER TABLE "room_members" DROP CONSTRAINT "room_members_role_check"`);
    await q.query(`
      ALTER TABLE "room_members" ADD CONSTRAINT "room_members_role_check"
        CHECK ("role" IN ('host', 'participant'))`);
    await q.query(`DELETE FROM "users" WHERE "role" = 'guest'`);
    await q.query(`ALTER TABLE "users" DROP CONSTRAINT "users_role_check"`);
    await q.query(`
      ALTER TABLE "users" ADD CONSTRAINT "users_role_check"
        CHECK ("role" IN ('patient', 'doctor', 'admin', 'compliance_officer'))`);
  }
}
