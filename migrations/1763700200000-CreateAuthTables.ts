import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateAuthTables1763700200000 implements MigrationInterface {
  name = 'CreateAuthTables1763700200000';

  async up(q: QueryRunner): Promise<void> {
    // One row per login on one device; it is the refresh-token family.
    await q.query(`
      CREATE TABLE "auth_sessions" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "user_id" uuid NOT NULL,
        "user_agent" varchar(512),
        "ip" varchar(64),
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "last_used_at" timestamptz NOT NULL,
        "expires_at" timestamptz NOT NULL,
        "revoked_at" timestamptz,
        "revoked_reason" varchar(32),
        CONSTRAINT "auth_sessions_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "auth_sessions_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE
      )`);
    await q.query(`CREATE INDEX "auth_sessions_user_id_idx" ON "auth_sessions" ("user_id")`);

    // Refresh tokens are stored only as SHA-256 hashes; rotated rows stay for reuse detection.
    await q.query(`
      CREATE TABLE "auth_refresh_tokens" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "session_id" uuid NOT NULL,
        "token_hash" char(64) NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "rotated_at" timestamptz,
        CONSTRAINT "auth_refresh_tokens_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "auth_refresh_tokens_session_id_fkey" FOREIGN KEY ("session_id") REFERENCES "auth_sessions"("id") ON DELETE CASCADE
      )`);
    await q.query(
      `CREATE UNIQUE INDEX "auth_refresh_tokens_token_hash_key" ON "auth_refresh_tokens" ("token_hash")`,
    );
    await q.query(
      `CREATE INDEX "auth_refresh_tokens_session_id_idx" ON "auth_refresh_tokens" ("session_id")`,
    );

    // TOTP secret (encrypted at rest) and the last accepted time step (replay protection).
    await q.query(`
      CREATE TABLE "auth_mfa" (
        "user_id" uuid NOT NULL,
        "secret_ciphertext" varchar(512) NOT NULL,
        "enabled_at" timestamptz,
        "last_time_step" bigint,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "auth_mfa_pkey" PRIMARY KEY ("user_id"),
        CONSTRAINT "auth_mfa_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE
      )`);

    await q.query(`
      CREATE TABLE "auth_recovery_codes" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "user_id" uuid NOT NULL,
        "code_hash" char(64) NOT NULL,
        "used_at" timestamptz,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "auth_recovery_codes_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "auth_recovery_codes_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE
      )`);
    await q.query(
      `CREATE UNIQUE INDEX "auth_recovery_codes_user_code_key" ON "auth_recovery_codes" ("user_id", "code_hash")`,
    );

    await q.query(`
      CREATE TABLE "auth_password_resets" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "user_id" uuid NOT NULL,
        "token_hash" char(64) NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "expires_at" timestamptz NOT NULL,
        "used_at" timestamptz,
        CONSTRAINT "auth_password_resets_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "auth_password_resets_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE
      )`);
    await q.query(
      `CREATE UNIQUE INDEX "auth_password_resets_token_hash_key" ON "auth_password_resets" ("token_hash")`,
    );
    await q.query(
      `CREATE INDEX "auth_password_resets_user_id_idx" ON "auth_password_resets" ("user_id")`,
    );

    // Messages for people (password reset links) waiting for a delivery channel.
    await q.query(`
      CREATE TABLE "notification_outbox" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "recipient" varchar(254) NOT NULL,
        "kind" varchar(64) NOT NULL,
        "payload" jsonb NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "sent_at" timestamptz,
        CONSTRAINT "notification_outbox_pkey" PRIMARY KEY ("id")
      )`);
    await q.query(
      `CREATE INDEX "notification_outbox_pending_idx" ON "notification_outbox" ("sent_at", "created_at")`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "notification_outbox"`);
    await q.query(`DROP TABLE "auth_password_resets"`);
    await q.query(`DROP TABLE "auth_recovery_codes"`);
    await q.query(`DROP TABLE "auth_mfa"`);
    await q.query(`DROP TABLE "auth_refresh_tokens"`);
    await q.query(`DROP TABLE "auth_sessions"`);
  }
}
