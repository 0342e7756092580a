import type { MigrationInterface, QueryRunner } from 'typeorm';

// The notification outbox becomes a delivery queue (docs/notifications.md): each message has a
// channel, a status, an attempt count and the time it is next due. A relay claims due rows
// with FOR UPDATE SKIP LOCKED and pushes `next_attempt_at` forward by its lease, so a relay
// that dies mid-delivery leaves the row due again once the lease runs out.
//
// Existing data: rows already marked sent become `sent`; `call.incoming` rows are push
// messages and everything else is e-mail. Old unsent incoming-call notices are past their
// ring and expire.
export class OutboxRelay1763701500000 implements MigrationInterface {
  name = 'OutboxRelay1763701500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE "notification_outbox"
        ADD COLUMN "channel" varchar(16) NOT NULL DEFAULT 'email',
        ADD COLUMN "status" varchar(16) NOT NULL DEFAULT 'pending',
        ADD COLUMN "attempts" integer NOT NULL DEFAULT 0,
        ADD COLUMN "next_attempt_at" timestamptz NOT NULL DEFAULT now(),
        ADD COLUMN "expires_at" timestamptz,
        ADD COLUMN "last_error" varchar(200),
        ADD COLUMN "last_attempt_at" timestamptz,
        ADD COLUMN "dead_at" timestamptz,
        ADD COLUMN "scrubbed_at" timestamptz,
        ADD CONSTRAINT "notification_outbox_channel_check"
          CHECK ("channel" IN ('email', 'sms', 'push', 'webhook')),
        ADD CONSTRAINT "notification_outbox_status_check"
          CHECK ("status" IN ('pending', 'sent', 'dead', 'expired'))`);
    await q.query(`UPDATE "notification_outbox" SET "status" = 'sent' WHERE "sent_at" IS NOT NULL`);
    await q.query(`
      UPDATE "notification_outbox" SET "channel" = 'push',
             "status" = CASE WHEN "status" = 'sent' THEN 'sent' ELSE 'expired' END
       WHERE "kind" = 'call.incoming'`);
    await q.query(`DROP INDEX "notification_outbox_pending_idx"`);
    // The relay's claim reads only this index: the due time of pending rows.
    await q.query(`
      CREATE INDEX "notification_outbox_due_idx" ON "notification_outbox" ("next_attempt_at")
        WHERE "status" = 'pending'`);
    await q.query(`
      CREATE INDEX "notification_outbox_status_idx" ON "notification_outbox" ("status", "created_at")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "notification_outbox_status_idx"`);
    await q.query(`DROP INDEX "notification_outbox_due_idx"`);
    await q.query(`
      UPDATE "notification_outbox" SET "sent_at" = coalesce("sent_at", now())
       WHERE "status" IN ('sent', 'dead', 'expired')`);
    await q.query(`
      ALTER TABLE "notification_outbox"
        DROP CONSTRAINT "notification_outbox_status_check",
        DROP CONSTRAINT "notification_outbox_channel_check",
        DROP COLUMN "scrubbed_at",
        DROP COLUMN "dead_at",
        DROP COLUMN "last_attempt_at",
        DROP COLUMN "last_error",
        DROP COLUMN "expires_at",
        DROP COLUMN "next_attempt_at",
        DROP COLUMN "attempts",
        DROP COLUMN "status",
        DROP COLUMN "channel"`);
    await q.query(
      `CREATE INDEX "notification_outbox_pending_idx" ON "notification_outbox" ("sent_at", "created_at")`,
    );
  }
}
