import type { MigrationInterface, QueryRunner } from 'typeorm';

// E-mail verification (docs/auth.md) and each person's language for messages
// (docs/notifications.md). Accounts that exist before this migration are treated as verified:
// they were usable without it, and locking them out now would help nobody.
export class EmailVerificationAndLocale1763701500001 implements MigrationInterface {
  name = 'EmailVerificationAndLocale1763701500001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE "users"
        ADD COLUMN "locale" varchar(8),
        ADD COLUMN "email_verified_at" timestamptz,
        ADD CONSTRAINT "users_locale_check" CHECK ("locale" IN ('tr', 'en'))`);
    await q.query(`UPDATE "users" SET "email_verified_at" = "created_at"`);
    await q.query(`
      CREATE TABLE "auth_email_verifications" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "user_id" uuid NOT NULL,
        "token_hash" char(64) NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "expires_at" timestamptz NOT NULL,
        "used_at" timestamptz,
        CONSTRAINT "auth_email_verifications_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "auth_email_verifications_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE
      )`);
    await q.query(
      `CREATE UNIQUE INDEX "auth_email_verifications_token_hash_key" ON "auth_email_verifications" ("token_hash")`,
    );
    await q.query(
      `CREATE INDEX "auth_email_verifications_user_id_idx" ON "auth_email_verifications" ("user_id")`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "auth_email_verifications"`);
    await q.query(`
      ALTER TABLE "users"
        DROP CONSTRAINT "users_locale_check",
        DROP COLUMN "email_verified_at",
        DROP COLUMN "locale"`);
  }
}
