import type { MigrationInterface, QueryRunner } from 'typeorm';

// The relay claims the due messages of the channels it has a sender for. Ordered by channel
// first, the partial index of pending messages lets each channel's claim read only its own
// due messages: a backlog of a channel without a sender (e-mail without SMTP_URL, push
// without a provider) is never read through.
export class OutboxDueByChannel1763701760000 implements MigrationInterface {
  name = 'OutboxDueByChannel1763701760000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "notification_outbox_due_idx"`);
    await q.query(`
      CREATE INDEX "notification_outbox_due_idx" ON "notification_outbox" ("channel", "next_attempt_at")
        WHERE "status" = 'pending'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "notification_outbox_due_idx"`);
    await q.query(`
      CREATE INDEX "notification_outbox_due_idx" ON "notification_outbox" ("next_attempt_at")
        WHERE "status" = 'pending'`);
  }
}
