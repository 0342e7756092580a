import type { MigrationInterface, QueryRunner } from 'typeorm';

// Consultation chat and files (docs/chat.md). Texts, file names and file bytes are stored
// sealed under the subject patient's data key, never in plaintext; a room's chat rows go
// with the room. (room, sender, client id) is unique so that a resend is the same message,
// and (room, seq) orders a room's messages.
export class ConsultationChat1763701900000 implements MigrationInterface {
  name = 'ConsultationChat1763701900000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "chat_rooms" (
        "room_id" uuid NOT NULL,
        "last_seq" bigint NOT NULL DEFAULT 0,
        "waiting_may_chat" boolean NOT NULL DEFAULT false,
        "subject_id" uuid,
        CONSTRAINT "chat_rooms_pkey" PRIMARY KEY ("room_id"),
        CONSTRAINT "chat_rooms_room_id_fkey" FOREIGN KEY ("room_id") REFERENCES "rooms" ("id") ON DELETE CASCADE
      )`);
    await q.query(`
      CREATE TABLE "chat_messages" (
        "id" uuid NOT NULL,
        "room_id" uuid NOT NULL,
        "seq" bigint NOT NULL,
        "sender_id" uuid NOT NULL,
        "subject_id" uuid NOT NULL,
        "client_id" varchar(64) NOT NULL,
        "body" text,
        "attachment_id" uuid,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "erased_at" timestamptz,
        CONSTRAINT "chat_messages_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "chat_messages_room_seq_key" UNIQUE ("room_id", "seq"),
        CONSTRAINT "chat_messages_client_id_key" UNIQUE ("room_id", "sender_id", "client_id"),
        CONSTRAINT "chat_messages_room_id_fkey" FOREIGN KEY ("room_id") REFERENCES "rooms" ("id") ON DELETE CASCADE
      )`);
    await q.query(`CREATE INDEX "chat_messages_subject_id_idx" ON "chat_messages" ("subject_id")`);
    await q.query(`CREATE INDEX "chat_messages_sender_id_idx" ON "chat_messages" ("sender_id")`);
    await q.query(`CREATE INDEX "chat_messages_created_at_idx" ON "chat_messages" ("created_at")`);
    await q.query(`
      CREATE TABLE "chat_attachments" (
        "id" uuid NOT NULL,
        "room_id" uuid NOT NULL,
        "uploader_id" uuid NOT NULL,
        "subject_id" uuid NOT NULL,
        "message_id" uuid,
        "content_type" varchar(32) NOT NULL,
        "size_bytes" integer NOT NULL,
        "name_sealed" text,
        "content" bytea,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "erased_at" timestamptz,
        CONSTRAINT "chat_attachments_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "chat_attachments_room_id_fkey" FOREIGN KEY ("room_id") REFERENCES "rooms" ("id") ON DELETE CASCADE
      )`);
    await q.query(`CREATE INDEX "chat_attachments_room_id_idx" ON "chat_attachments" ("room_id")`);
    await q.query(
      `CREATE INDEX "chat_attachments_subject_id_idx" ON "chat_attachments" ("subject_id")`,
    );
    await q.query(
      `CREATE INDEX "chat_attachments_uploader_id_idx" ON "chat_attachments" ("uploader_id")`,
    );
    await q.query(
      `CREATE INDEX "chat_attachments_created_at_idx" ON "chat_attachments" ("created_at")`,
    );
    await q.query(`
      CREATE TABLE "chat_reads" (
        "room_id" uuid NOT NULL,
        "user_id" uuid NOT NULL,
        "message_id" uuid NOT NULL,
        "seq" bigint NOT NULL,
        "read_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "chat_reads_pkey" PRIMARY KEY ("room_id", "user_id"),
        CONSTRAINT "chat_reads_room_id_fkey" FOREIGN KEY ("room_id") REFERENCES "rooms" ("id") ON DELETE CASCADE
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "chat_reads"`);
    await q.query(`DROP TABLE "chat_attachments"`);
    await q.query(`DROP TABLE "chat_messages"`);
    await q.query(`DROP TABLE "chat_rooms"`);
  }
}
