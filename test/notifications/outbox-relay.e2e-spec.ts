import { DataSource } from 'typeorm';
import { Role } from '../../src/common/auth/role';
import { OutboxRelay } from '../../src/modules/outbox/outbox-relay';
import { OutboxRepository } from '../../src/modules/outbox/outbox.repository';
import { OutboxChannel } from '../../src/modules/outbox/outbox-message.entity';
import { authHeader, signIn } from '../support/auth';
import {
  emailMessage,
  enqueue,
  installSender,
  outboxRows,
  RecordingSender,
} from '../support/outbox';
import { until } from '../support/signaling-client';
import { createTestApp, type TestApp } from '../support/test-app';

const FAST = {
  NOTIFY_RELAY_ENABLED: 'true',
  NOTIFY_POLL_INTERVAL_MS: '50',
  NOTIFY_BATCH_SIZE: '10',
  NOTIFY_RETRY_BASE_MS: '20',
  NOTIFY_RETRY_MAX_MS: '100',
  NOTIFY_MAX_ATTEMPTS: '3',
};

const settled = async (db: DataSource, ids: string[]) =>
  (await outboxRows(db, ids)).every((r) => r.status !== 'pending');

describe('outbox relay: two relays on one database', () => {
  let a: TestApp;
  let b: TestApp;
  const senderA = new RecordingSender();
  const senderB = new RecordingSender();

  beforeAll(async () => {
    a = await createTestApp({ env: FAST });
    b = await createTestApp({ env: FAST, db: a.db, redisPrefix: 'hekim-test:outbox-two:' });
    // Each delivery yields to the event loop a few times, so both relays are mid-batch at
    // once and their claims overlap in time.
    for (const s of [senderA, senderB])
      s.behaviour = () => new Promise<void>((r) => setTimeout(r, 2));
    installSender(a, senderA);
    installSender(b, senderB);
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  it('deliver every message once: never the same row by both', async () => {
    const db = a.app.get(DataSource);
    const ids = await enqueue(
      a,
      Array.from({ length: 300 }, (_, n) => emailMessage(n)),
    );
    await until(() => settled(db, ids), 30_000);

    const sent = [...senderA.received, ...senderB.received].map((m) => m.id);
    expect(sent.length).toBe(ids.length);
    expect(new Set(sent).size).toBe(ids.length);
    expect(new Set(sent)).toEqual(new Set(ids));
    const rows = await outboxRows(db, ids);
    expect(rows.every((r) => r.status === 'sent' && r.attempts === 1)).toBe(true);
    // The idempotency key is the message id, the same on every attempt.
    expect([...senderA.received, ...senderB.received].every((m) => m.idempotencyKey === m.id)).toBe(
      true,
    );
  });
});

describe('outbox relay: retries, dead letters, the admin API and scrubbing', () => {
  let t: TestApp;
  let db: DataSource;
  const sender = new RecordingSender();

  beforeAll(async () => {
    t = await createTestApp({ env: FAST });
    db = t.app.get(DataSource);
    installSender(t, sender);
  });
  afterAll(() => t.close());

  it('retries a failing message with the same key, then dead-letters it after NOTIFY_MAX_ATTEMPTS', async () => {
    sender.behaviour = RecordingSender.failWith('HTTP_503');
    const [id] = await enqueue(t, [emailMessage(1, { token: 'one-time-secret' })]);
    await until(() => settled(db, [id]));

    const attempts = sender.received.filter((m) => m.id === id);
    expect(attempts.map((m) => m.attempt)).toEqual([1, 2, 3]);
    expect(new Set(attempts.map((m) => m.idempotencyKey))).toEqual(new Set([id]));
    const [row] = await outboxRows(db, [id]);
    expect(row).toMatchObject({ status: 'dead', attempts: 3, last_error: 'HTTP_503' });
    // A dead letter keeps its payload so that a retry can still deliver it.
    expect(row.payload.token).toBe('one-time-secret');

    const metrics = await t.http().get('/metrics').expect(200);
    expect(metrics.text).toMatch(
      /hekim_outbox_deliveries_total\{channel="email",outcome="retry"\} 2\b/,
    );
    expect(metrics.text).toMatch(
      /hekim_outbox_deliveries_total\{channel="email",outcome="dead"\} 1\b/,
    );
    // Pre-initialized series of channels nothing was sent on.
    expect(metrics.text).toMatch(
      /hekim_outbox_deliveries_total\{channel="sms",outcome="sent"\} 0\b/,
    );
    await t.app.get(OutboxRelay).refreshStats();
    const after = await t.http().get('/metrics').expect(200);
    expect(after.text).toMatch(/hekim_outbox_dead_letters\{channel="email"\} 1\b/);
    expect(after.text).toMatch(/hekim_outbox_pending\{channel="email"\} 0\b/);

    // An admin lists the dead letters (without payloads) and retries this one.
    const admin = await signIn(t, Role.Admin);
    const list = await t
      .http()
      .get('/api/v1/admin/outbox?status=dead')
      .set(authHeader(admin.accessToken))
      .expect(200);
    const listed = (list.body.items as { id: string }[]).find((m) => m.id === id);
    expect(listed).toMatchObject({
      status: 'dead',
      channel: 'email',
      attempts: 3,
      lastError: 'HTTP_503',
    });
    expect(JSON.stringify(list.body)).not.toContain('one-time-secret');

    sender.behaviour = () => undefined;
    const retried = await t
      .http()
      .post(`/api/v1/admin/outbox/${id}/retry`)
      .set(authHeader(admin.accessToken))
      .expect(200);
    expect(retried.body.message).toMatchObject({ id, status: 'pending', attempts: 0 });
    await until(() => settled(db, [id]));
    const [sent] = await outboxRows(db, [id]);
    expect(sent.status).toBe('sent');
    // Delivered: the one-time token is gone from the outbox.
    expect(sent.payload).toEqual({ n: 1 });
    expect(sent.scrubbed_at).not.toBeNull();
    expect(sender.received.filter((m) => m.id === id).at(-1)?.payload.token).toBe(
      'one-time-secret',
    );

    // Retrying what is not a dead letter is a conflict; the retry was audited.
    await t
      .http()
      .post(`/api/v1/admin/outbox/${id}/retry`)
      .set(authHeader(admin.accessToken))
      .expect(409);
    const audit = await db.query<{ action: string; actor_user_id: string }[]>(
      `SELECT action, actor_user_id FROM audit_events WHERE action IN ('outbox.retry', 'outbox.list') ORDER BY seq`,
    );
    expect(audit).toEqual([
      { action: 'outbox.list', actor_user_id: admin.user.id },
      { action: 'outbox.retry', actor_user_id: admin.user.id },
    ]);
  });

  it('dead-letters at once on a permanent refusal', async () => {
    sender.behaviour = RecordingSender.failWith('SMTP_550', true);
    const [id] = await enqueue(t, [emailMessage(2)]);
    await until(() => settled(db, [id]));
    const [row] = await outboxRows(db, [id]);
    expect(row).toMatchObject({ status: 'dead', attempts: 1, last_error: 'SMTP_550' });
  });

  it('expires a message whose moment passed instead of sending it', async () => {
    sender.behaviour = () => undefined;
    const [id] = await enqueue(t, [
      { ...emailMessage(3, { token: 'late' }), expiresAt: new Date(Date.now() - 1000) },
    ]);
    await until(() => settled(db, [id]));
    const [row] = await outboxRows(db, [id]);
    expect(row.status).toBe('expired');
    expect(row.payload).toEqual({ n: 3 });
    expect(sender.received.some((m) => m.id === id)).toBe(false);
  });

  it('refuses non-admins and bad input', async () => {
    const doctor = await signIn(t, Role.Doctor);
    await t.http().get('/api/v1/admin/outbox').set(authHeader(doctor.accessToken)).expect(403);
    const admin = await signIn(t, Role.Admin);
    const bad = await t
      .http()
      .get('/api/v1/admin/outbox?status=lost')
      .set(authHeader(admin.accessToken))
      .expect(400);
    expect(bad.body.code).toBe('VALIDATION_FAILED');
    await t
      .http()
      .post('/api/v1/admin/outbox/7d0c2f8e-9a51-4c1e-8d8a-3f3b1b1e2a10/retry')
      .set(authHeader(admin.accessToken))
      .expect(404);
  });
});

describe('outbox relay: backoff and a relay that dies holding messages', () => {
  let t: TestApp;
  let db: DataSource;
  const sender = new RecordingSender();

  beforeAll(async () => {
    t = await createTestApp({
      env: {
        NOTIFY_RELAY_ENABLED: 'true',
        NOTIFY_POLL_INTERVAL_MS: '50',
        NOTIFY_RETRY_BASE_MS: '60000',
        NOTIFY_RETRY_MAX_MS: '600000',
        NOTIFY_LEASE_SECONDS: '2',
      },
    });
    db = t.app.get(DataSource);
    installSender(t, sender);
  });
  afterAll(() => t.close());

  it('waits a jittered exponential step after a failure', async () => {
    sender.behaviour = RecordingSender.failWith('TIMEOUT');
    const [id] = await enqueue(t, [emailMessage(10)]);
    await until(async () => (await outboxRows(db, [id]))[0].last_error === 'TIMEOUT');
    const [row] = await outboxRows(db, [id]);
    const wait = row.next_attempt_at.getTime() - row.last_attempt_at!.getTime();
    // First failure: between a tenth of the base and the base (60 s).
    expect(wait).toBeGreaterThanOrEqual(6000 - 50);
    expect(wait).toBeLessThanOrEqual(60_000 + 50);
    expect(row.status).toBe('pending');
  });

  it('takes over messages claimed by a relay that died, once their lease ran out', async () => {
    sender.behaviour = () => undefined;
    // Another relay claims the messages and dies before delivering them: all it leaves
    // behind is the claim (the attempt counted and the due time moved by the lease).
    const ids = await enqueue(
      t,
      Array.from({ length: 5 }, (_, n) => ({
        ...emailMessage(20 + n),
        channel: OutboxChannel.Sms,
      })),
    );
    const claimed = await t.app.get(OutboxRepository).claim([OutboxChannel.Sms], 10, 2);
    expect(claimed.map((c) => c.id).sort()).toEqual([...ids].sort());
    const sms = new RecordingSender(OutboxChannel.Sms);
    installSender(t, sms);

    await until(() => settled(db, ids));
    expect(sms.received.map((m) => m.id).sort()).toEqual([...ids].sort());
    expect(sms.received.every((m) => m.attempt === 2)).toBe(true);
    const rows = await outboxRows(db, ids);
    expect(rows.every((r) => r.status === 'sent')).toBe(true);
  });
});

describe('outbox relay: woken by the commit that writes messages', () => {
  let t: TestApp;
  let db: DataSource;
  const sender = new RecordingSender();

  beforeAll(async () => {
    // A poll far longer than the test: only the wake-up can send the messages in time.
    t = await createTestApp({
      env: { NOTIFY_RELAY_ENABLED: 'true', NOTIFY_POLL_INTERVAL_MS: '60000' },
    });
    db = t.app.get(DataSource);
    installSender(t, sender);
    // The first poll at start-up found nothing; the relay now waits for a wake-up.
    await until(async () => {
      const [{ n }] = await db.query<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE application_name = 'hekim-outbox-wakeups' AND datname = current_database()`,
      );
      return n === 1;
    });
  });
  afterAll(() => t.close());

  it('sends messages right after their transaction commits, not at the next poll', async () => {
    for (const round of [0, 1]) {
      const ids = await enqueue(
        t,
        Array.from({ length: 5 }, (_, n) => emailMessage(100 + 10 * round + n)),
      );
      await until(() => settled(db, ids), 5000);
      expect((await outboxRows(db, ids)).every((r) => r.status === 'sent')).toBe(true);
    }
  });
});
