import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateCalls1763700500000 implements MigrationInterface {
  name = 'CreateCalls1763700500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "calls" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "type" varchar(8) NOT NULL,
        "status" varchar(16) NOT NULL,
        "caller_id" uuid NOT NULL,
        "room_id" uuid NOT NULL,
        "is_group" boolean NOT NULL DEFAULT false,
        "ring_deadline" timestamptz,
        "started_at" timestamptz,
        "ended_at" timestamptz,
        "end_reason" varchar(32),
        "quality" jsonb,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "calls_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "calls_type_check" CHECK ("type" IN ('audio', 'video')),
        CONSTRAINT "calls_status_check" CHECK ("status" IN ('ringing', 'active', 'ended', 'rejected', 'missed', 'cancelled')),
        CONSTRAINT "calls_caller_id_fkey" FOREIGN KEY ("caller_id") REFERENCES "users" ("id") ON DELETE RESTRICT,
        CONSTRAINT "calls_room_id_fkey" FOREIGN KEY ("room_id") REFERENCES "rooms" ("id") ON DELETE RESTRICT
      )`);
    await q.query(`CREATE UNIQUE INDEX "calls_room_id_key" ON "calls" ("room_id")`);
    await q.query(`CREATE INDEX "calls_ring_deadline_idx" ON "calls" ("ring_deadline")`);

    await q.query(`
      CREATE TABLE "call_participants" (
        "call_id" uuid NOT NULL,
        "user_id" uuid NOT NULL,
        "state" varchar(16) NOT NULL,
        "joined_at" timestamptz,
        "left_at" timestamptz,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "call_participants_pkey" PRIMARY KEY ("call_id", "user_id"),
        CONSTRAINT "call_participants_state_check" CHECK ("state" IN ('ringing', 'joined', 'declined', 'left', 'missed')),
        CONSTRAINT "call_participants_call_id_fkey" FOREIGN KEY ("call_id") REFERENCES "calls" ("id") ON DELETE CASCADE,
        CONSTRAINT "call_participants_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE
      )`);
    await q.query(
      `CREATE INDEX "call_participants_user_created_idx" ON "call_participants" ("user_id", "created_at")`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "call_participants"`);
    await q.query(`DROP TABLE "calls"`);
  }
}
