import type { MigrationInterface, QueryRunner } from 'typeorm';

// The SIEM forwarder's durable cursor (docs/siem.md): one row holding the last audit record
// the collector accepted, by seq and hash. It only moves forward, and only after a collector
// confirmed a batch, so a restart or an outage resumes right after it (at least once, no gap).
// Seeded at 0: a newly configured collector receives the whole trail from its first record.
// It holds positions in the chain and no personal data.
export class SiemForwarding1763701800000 implements MigrationInterface {
  name = 'SiemForwarding1763701800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "siem_forwarding_cursor" (
        "id" smallint PRIMARY KEY CHECK ("id" = 1),
        "seq" bigint NOT NULL CHECK ("seq" >= 0),
        "hash" text,
        "forwarded_at" timestamptz
      )`);
    await q.query(`INSERT INTO "siem_forwarding_cursor" ("id", "seq") VALUES (1, 0)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "siem_forwarding_cursor"`);
  }
}
