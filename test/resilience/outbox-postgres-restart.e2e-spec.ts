import { DataSource } from 'typeorm';
import {
  emailMessage,
  enqueue,
  installSender,
  outboxRows,
  RecordingSender,
} from '../support/outbox';
import { OwnedPostgres } from '../support/owned-postgres';
import { until } from '../support/signaling-client';
import { createTestApp, type TestApp } from '../support/test-app';
import { sleep } from '../support/hekim-cluster';

const OUTAGE_MS = 2000;

// PostgreSQL stops while the relay is delivering: the outcome of the message in flight cannot
// be recorded, and every claim fails until the database is back. Nothing is lost: once it is
// back, every message is delivered, the one in flight again after its lease (at least once).
describe('resilience: the outbox relay across a PostgreSQL restart', () => {
  const pg = new OwnedPostgres();
  let t: TestApp;
  const sender = new RecordingSender();

  beforeAll(async () => {
    await pg.init();
    t = await createTestApp({
      db: { name: 'hekim', url: pg.url(), drop: () => Promise.resolve() },
      env: {
        NOTIFY_RELAY_ENABLED: 'true',
        NOTIFY_POLL_INTERVAL_MS: '50',
        NOTIFY_BATCH_SIZE: '5',
        NOTIFY_LEASE_SECONDS: '2',
        NOTIFY_RETRY_BASE_MS: '50',
        NOTIFY_RETRY_MAX_MS: '200',
        NOTIFY_MAX_ATTEMPTS: '20',
      },
    });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await pg.destroy();
  });

  it('delivers every message at least once, the interrupted one again', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    let first: string | undefined;
    sender.behaviour = async (m) => {
      if (first === undefined) {
        first = m.id;
        await gate;
      }
    };
    const ids = await enqueue(
      t,
      Array.from({ length: 30 }, (_, n) => emailMessage(n, { token: `secret-${n}` })),
    );
    installSender(t, sender);
    await until(() => first !== undefined);

    await pg.stop();
    // The delivery in flight is accepted by the receiver while the database is away.
    release();
    await sleep(OUTAGE_MS);
    await pg.start();

    const db = t.app.get(DataSource);
    await until(
      async () =>
        (await outboxRows(db, ids).catch(() => [])).filter((r) => r.status === 'sent').length ===
        ids.length,
      30_000,
    );
    const delivered = sender.received.map((m) => m.id);
    expect(new Set(delivered)).toEqual(new Set(ids));
    // Its outcome was lost with the database: delivered again, with the same idempotency key.
    const repeats = sender.received.filter((m) => m.id === first);
    expect(repeats.length).toBeGreaterThanOrEqual(2);
    expect(new Set(repeats.map((m) => m.idempotencyKey))).toEqual(new Set([first]));
    const rows = await outboxRows(db, ids);
    expect(rows.every((r) => r.scrubbed_at !== null && r.payload.token === undefined)).toBe(true);
  });
});
