import type { MigrationInterface, QueryRunner } from 'typeorm';

// Every committed statement that writes messages to the outbox is announced on the
// `hekim_outbox` channel (NOTIFY is delivered on commit only; one per statement, and repeats
// within a transaction fold into one), so that idle relays start at once instead of at their
// next poll (docs/notifications.md).
export class OutboxWakeups1763701750000 implements MigrationInterface {
  name = 'OutboxWakeups1763701750000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION "hekim_outbox_written"() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('hekim_outbox', '');
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER "notification_outbox_wake_notify"
        AFTER INSERT ON "notification_outbox"
        FOR EACH STATEMENT EXECUTE FUNCTION "hekim_outbox_written"()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER "notification_outbox_wake_notify" ON "notification_outbox"`);
    await q.query(`DROP FUNCTION "hekim_outbox_written"()`);
  }
}
