import type { MigrationInterface, QueryRunner } from 'typeorm';

// One store for the single-use tokens of password reset and e-mail verification (docs/auth.md),
// keyed by purpose, instead of a table per flow. Every row is copied with its id, hash and
// times, so links mailed before the migration keep working (or stay used or expired) after it;
// down copies them back.
// The tables this migration merges and the purpose of their tokens (constants, not input).
const TABLES = [
  ['auth_password_resets', 'password_reset'],
  ['auth_email_verifications', 'email_verification'],
] as const;

export class SingleUseTokens1763701520000 implements MigrationInterface {
  name = 'SingleUseTokens1763701520000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "auth_single_use_tokens" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "user_id" uuid NOT NULL,
        "purpose" varchar(32) NOT NULL,
        "token_hash" char(64) NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "expires_at" timestamptz NOT NULL,
        "used_at" timestamptz,
        CONSTRAINT "auth_single_use_tokens_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "auth_single_use_tokens_purpose_check"
          CHECK ("purpose" IN ('password_reset', 'email_verification')),
        CONSTRAINT "auth_single_use_tokens_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE
      )`);
    await q.query(
      `CREATE UNIQUE INDEX "auth_single_use_tokens_token_hash_key" ON "auth_single_use_tokens" ("token_hash")`,
    );
    await q.query(
      `CREATE INDEX "auth_single_use_tokens_user_purpose_idx" ON "auth_single_use_tokens" ("user_id", "purpose")`,
    );
    for (const [table, purpose] of TABLES) {
      await q.query(`
        INSERT INTO "auth_single_use_tokens"
               ("id", "user_id", "purpose", "token_hash", "created_at", "expires_at", "used_at")
        SELECT "id", "user_id", '${purpose}', "token_hash", "created_at", "expires_at", "used_at"
          FROM "${table}"`);
      await q.query(`DROP TABLE "${table}"`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const [table, purpose] of TABLES) {
      await q.query(`
        CREATE TABLE "${table}" (
          "id" uuid NOT NULL DEFAULT gen_random_uuid(),
          "user_id" uuid NOT NULL,
          "token_hash" char(64) NOT NULL,
          "created_at" timestamptz NOT NULL DEFAULT now(),
          "expires_at" timestamptz NOT NULL,
          "used_at" timestamptz,
          CONSTRAINT "${table}_pkey" PRIMARY KEY ("id"),
          CONSTRAINT "${table}_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE
        )`);
      await q.query(`CREATE UNIQUE INDEX "${table}_token_hash_key" ON "${table}" ("token_hash")`);
      await q.query(`CREATE INDEX "${table}_user_id_idx" ON "${table}" ("user_id")`);
      await q.query(`
        INSERT INTO "${table}" ("id", "user_id", "token_hash", "created_at", "expires_at", "used_at")
        SELECT "id", "user_id", "token_hash", "created_at", "expires_at", "used_at"
          FROM "auth_single_use_tokens" WHERE "purpose" = '${purpose}'`);
    }
    await q.query(`DROP TABLE "auth_single_use_tokens"`);
  }
}
