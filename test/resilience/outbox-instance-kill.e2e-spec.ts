import { Client } from 'pg';
import { emailMessage, enqueue } from '../support/outbox';
import { HekimCluster } from '../support/hekim-cluster';
import { until } from '../support/signaling-client';
import { SmtpSink } from '../support/smtp-sink';
import { createTestDatabase, type TestDatabase } from '../support/test-app';
import { TEST_REDIS_URL } from '../support/test-env';

// An instance is killed (SIGKILL) in the middle of sending mail: the SMTP server has started
// receiving a message and has not answered. Nothing is lost: another instance takes the
// killed one's messages over once their lease runs out and delivers every one of them.
describe('resilience: an instance killed mid-delivery', () => {
  const smtp = new SmtpSink();
  let db: TestDatabase;
  let cluster: HekimCluster;

  beforeAll(async () => {
    await smtp.start();
    db = await createTestDatabase();
    cluster = new HekimCluster({
      db,
      redisUrl: TEST_REDIS_URL,
      env: { SMTP_URL: smtp.url, APP_BASE_URL: 'https://app.hekim.test/' },
    });
  });
  afterAll(async () => {
    await cluster?.stopAll('outbox-instance-kill');
    await db?.drop();
    await smtp.stop();
  });

  it('loses no message: the survivor delivers what the dead instance held', async () => {
    const relay = {
      NOTIFY_RELAY_ENABLED: 'true',
      NOTIFY_LEASE_SECONDS: '3',
      NOTIFY_POLL_INTERVAL_MS: '100',
      NOTIFY_BATCH_SIZE: '4',
    };
    let release: () => void = () => undefined;
    smtp.stall = new Promise<void>((r) => (release = r));

    const fixtures = await cluster.fixtures();
    const ids = await enqueue(
      fixtures,
      Array.from({ length: 12 }, (_, n) => ({
        ...emailMessage(n),
        kind: 'account_exists',
        payload: { locale: 'en' },
      })),
    );
    await cluster.closeFixtures();

    const a = await cluster.start(relay);
    await until(() => smtp.dataStarted >= 1, 20_000);
    a.proc.kill('SIGKILL');
    await a.exited;
    smtp.stall = undefined;
    release();

    await cluster.start(relay);
    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    try {
      await until(async () => {
        const { rows } = await pg.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM notification_outbox WHERE id = ANY($1::uuid[]) AND status = 'sent'`,
          [ids],
        );
        return rows[0].n === ids.length;
      }, 30_000);
      const { rows } = await pg.query<{ id: string; attempts: number }>(
        `SELECT id, attempts FROM notification_outbox WHERE id = ANY($1::uuid[])`,
        [ids],
      );
      // The messages the killed instance held were attempted again.
      expect(rows.filter((r) => r.attempts >= 2).length).toBeGreaterThanOrEqual(1);
    } finally {
      await pg.end();
    }
    const received = new Set(smtp.mails.map((m) => m.messageId));
    expect(ids.filter((id) => !received.has(`<${id}@hekim>`))).toEqual([]);
  });
});
