import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateRoomsAndSessions1763700400000 implements MigrationInterface {
  name = 'CreateRoomsAndSessions1763700400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "rooms" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "name" varchar(120) NOT NULL,
        "type" varchar(16) NOT NULL,
        "host_id" uuid NOT NULL,
        "status" varchar(16) NOT NULL DEFAULT 'open',
        "waiting_room" boolean NOT NULL DEFAULT false,
        "max_participants" integer NOT NULL DEFAULT 2,
        "scheduled_for" timestamptz,
        "closed_at" timestamptz,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "rooms_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "rooms_type_check" CHECK ("type" IN ('consultation', 'group', 'call')),
        CONSTRAINT "rooms_status_check" CHECK ("status" IN ('open', 'closed')),
        CONSTRAINT "rooms_max_participants_check" CHECK ("max_participants" BETWEEN 2 AND 50),
        CONSTRAINT "rooms_host_id_fkey" FOREIGN KEY ("host_id") REFERENCES "users" ("id") ON DELETE RESTRICT
      )`);
    await q.query(`CREATE INDEX "rooms_host_id_idx" ON "rooms" ("host_id")`);

    await q.query(`
      CREATE TABLE "room_members" (
        "room_id" uuid NOT NULL,
        "user_id" uuid NOT NULL,
        "role" varchar(16) NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "room_members_pkey" PRIMARY KEY ("room_id", "user_id"),
        CONSTRAINT "room_members_role_check" CHECK ("role" IN ('host', 'participant')),
        CONSTRAINT "room_members_room_id_fkey" FOREIGN KEY ("room_id") REFERENCES "rooms" ("id") ON DELETE CASCADE,
        CONSTRAINT "room_members_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE
      )`);
    await q.query(`CREATE INDEX "room_members_user_id_idx" ON "room_members" ("user_id")`);

    await q.query(`
      CREATE TABLE "room_sessions" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "room_id" uuid NOT NULL,
        "status" varchar(16) NOT NULL DEFAULT 'active',
        "started_at" timestamptz NOT NULL,
        "ended_at" timestamptz,
        "end_reason" varchar(32),
        CONSTRAINT "room_sessions_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "room_sessions_status_check" CHECK ("status" IN ('active', 'ended')),
        CONSTRAINT "room_sessions_room_id_fkey" FOREIGN KEY ("room_id") REFERENCES "rooms" ("id") ON DELETE CASCADE
      )`);
    await q.query(
      `CREATE UNIQUE INDEX "room_sessions_one_active_per_room" ON "room_sessions" ("room_id") WHERE "status" = 'active'`,
    );
    await q.query(
      `CREATE INDEX "room_sessions_room_started_idx" ON "room_sessions" ("room_id", "started_at")`,
    );

    await q.query(`
      CREATE TABLE "session_participants" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "session_id" uuid NOT NULL,
        "user_id" uuid NOT NULL,
        "joined_at" timestamptz NOT NULL,
        "left_at" timestamptz,
        "socket_id" varchar(64),
        "grace_until" timestamptz,
        CONSTRAINT "session_participants_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "session_participants_session_id_fkey" FOREIGN KEY ("session_id") REFERENCES "room_sessions" ("id") ON DELETE CASCADE,
        CONSTRAINT "session_participants_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE
      )`);
    await q.query(
      `CREATE UNIQUE INDEX "session_participants_live_user" ON "session_participants" ("session_id", "user_id") WHERE "left_at" IS NULL`,
    );
    await q.query(
      `CREATE INDEX "session_participants_grace_idx" ON "session_participants" ("grace_until") WHERE "grace_until" IS NOT NULL`,
    );
    await q.query(
      `CREATE INDEX "session_participants_socket_idx" ON "session_participants" ("socket_id") WHERE "socket_id" IS NOT NULL`,
    );

    await q.query(`
      CREATE TABLE "room_waiting" (
        "room_id" uuid NOT NULL,
        "user_id" uuid NOT NULL,
        "socket_id" varchar(64) NOT NULL,
        "requested_at" timestamptz NOT NULL,
        CONSTRAINT "room_waiting_pkey" PRIMARY KEY ("room_id", "user_id"),
        CONSTRAINT "room_waiting_room_id_fkey" FOREIGN KEY ("room_id") REFERENCES "rooms" ("id") ON DELETE CASCADE,
        CONSTRAINT "room_waiting_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "room_waiting"`);
    await q.query(`DROP TABLE "session_participants"`);
    await q.query(`DROP TABLE "room_sessions"`);
    await q.query(`DROP TABLE "room_members"`);
    await q.query(`DROP TABLE "rooms"`);
  }
}
