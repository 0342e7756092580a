import type { MigrationInterface, QueryRunner } from 'typeorm';

// The relay's claim searches for due messages without locking them, then locks only the
// candidates it takes (docs/notifications.md, "The claim's plan"). With the message id in the
// partial index of pending messages, that search is an index-only scan: it reads no row. The
// id is a key column rather than an INCLUDE one, so the entity can declare the index as it is.
//
// Numbered after 1763701760000-OutboxDueByChannel, which rebuilds the same index: on a new
// database an earlier number would run first and be undone by it.
export class OutboxCoveringDueIndex1763701760001 implements MigrationInterface {
  name = 'OutboxCoveringDueIndex1763701760001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "notification_outbox_due_idx"`);
    await q.query(`
      CREATE INDEX "notification_outbox_due_idx" ON "notification_outbox" ("channel", "next_attempt_at", "id")
        WHERE "status" = 'pending'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "notification_outbox_due_idx"`);
    await q.query(`
      CREATE INDEX "notification_outbox_due_idx" ON "notification_outbox" ("channel", "next_attempt_at")
        WHERE "status" = 'pending'`);
  }
}
