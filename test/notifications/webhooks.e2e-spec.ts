import { Webhook } from 'standardwebhooks';
import { DataSource } from 'typeorm';
import { Role } from '../../src/common/auth/role';
import { WebhooksService } from '../../src/modules/webhooks/webhooks.service';
import { authHeader, signIn, type SignedIn } from '../support/auth';
import { until } from '../support/signaling-client';
import { createTestApp, type TestApp } from '../support/test-app';
import { WebhookReceiver } from '../support/webhook-receiver';

const ENV = {
  NOTIFY_RELAY_ENABLED: 'true',
  NOTIFY_POLL_INTERVAL_MS: '50',
  NOTIFY_RETRY_BASE_MS: '50',
  NOTIFY_RETRY_MAX_MS: '200',
  NOTIFY_MAX_ATTEMPTS: '3',
  WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
  WEBHOOK_TIMEOUT_MS: '2000',
};

describe('webhooks for integrators', () => {
  const receiver = new WebhookReceiver();
  let t: TestApp;
  let db: DataSource;
  let admin: SignedIn;

  beforeAll(async () => {
    await receiver.start();
    t = await createTestApp({ env: ENV });
    db = t.app.get(DataSource);
    admin = await signIn(t, Role.Admin);
  });
  afterAll(async () => {
    await t?.close();
    await receiver.stop();
  });

  const register = (body: object) =>
    t.http().post('/api/v1/admin/webhooks').set(authHeader(admin.accessToken)).send(body);
  const deliveries = async (id: string) =>
    (
      await t
        .http()
        .get(`/api/v1/admin/webhooks/${id}/deliveries`)
        .set(authHeader(admin.accessToken))
        .expect(200)
    ).body.items as {
      id: string;
      webhookId: string;
      eventType: string;
      status: string;
      attempts: number;
      responseStatus: number | null;
      lastError: string | null;
    }[];

  it('signs deliveries in the Standard Webhooks format, retries failures with the same id, replays', async () => {
    const created = await register({
      url: `${receiver.url}/consents`,
      events: ['consent.*'],
      description: 'EHR',
    }).expect(201);
    const { id, secret } = created.body as { id: string; secret: string };
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);

    // The first attempt fails (503), the second is accepted.
    let calls = 0;
    receiver.answer = (r) => (r.path === '/consents' && ++calls === 1 ? 503 : 204);
    const patient = await signIn(t, Role.Patient);
    await t
      .http()
      .delete('/api/v1/consents/data_processing')
      .set(authHeader(patient.accessToken))
      .expect(204);

    await until(async () => (await deliveries(id))[0]?.status === 'delivered');
    const [delivery] = await deliveries(id);
    expect(delivery).toMatchObject({
      eventType: 'consent.withdrawn',
      attempts: 2,
      responseStatus: 204,
      lastError: null,
    });
    const sent = receiver.at('/consents');
    expect(sent).toHaveLength(2);
    for (const r of sent) {
      expect(r.headers['webhook-id']).toBe(delivery.webhookId);
      expect(r.headers['content-type']).toBe('application/json');
      // What an integrator's receiver does (docs/notifications.md): verify, then parse.
      const event = new Webhook(secret).verify(r.body, {
        'webhook-id': r.headers['webhook-id'] as string,
        'webhook-timestamp': r.headers['webhook-timestamp'] as string,
        'webhook-signature': r.headers['webhook-signature'] as string,
      });
      expect(event).toMatchObject({
        type: 'consent.withdrawn',
        data: { userId: patient.user.id, purpose: 'data_processing' },
      });
    }
    // A wrong secret does not verify.
    expect(() =>
      new Webhook(`whsec_${Buffer.alloc(24, 1).toString('base64')}`).verify(sent[0].body, {
        'webhook-id': sent[0].headers['webhook-id'] as string,
        'webhook-timestamp': sent[0].headers['webhook-timestamp'] as string,
        'webhook-signature': sent[0].headers['webhook-signature'] as string,
      }),
    ).toThrow();

    // Replay: the same body and webhook-id once more.
    const replayed = await t
      .http()
      .post(`/api/v1/admin/webhooks/${id}/deliveries/${delivery.id}/replay`)
      .set(authHeader(admin.accessToken))
      .expect(202);
    expect(replayed.body.delivery).toMatchObject({ id: delivery.id, status: 'pending' });
    await until(() => receiver.at('/consents').length === 3);
    const again = receiver.at('/consents')[2];
    expect(again.headers['webhook-id']).toBe(delivery.webhookId);
    expect(JSON.parse(again.body)).toEqual(JSON.parse(sent[0].body));

    // Every attempt is audited; the replay and the registration too.
    await until(async () => {
      const rows = await db.query<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM audit_events WHERE action = 'webhook.delivery' AND resource_id = $1`,
        [id],
      );
      return rows[0].n === 3;
    });
    const actions = await db.query<{ action: string; outcome: string }[]>(
      `SELECT action, outcome FROM audit_events WHERE resource_id = $1 ORDER BY seq`,
      [id],
    );
    expect(actions).toEqual([
      { action: 'webhook.create', outcome: 'success' },
      { action: 'webhook.delivery', outcome: 'failure' },
      { action: 'webhook.delivery', outcome: 'success' },
      { action: 'webhook.replay', outcome: 'success' },
      { action: 'webhook.delivery', outcome: 'success' },
    ]);
    // Never the body: the people the event names are listed by id (for their access report,
    // docs/compliance.md), nothing else of it.
    const details = await db.query<{ details: Record<string, unknown> }[]>(
      `SELECT details FROM audit_events WHERE action = 'webhook.delivery'`,
    );
    for (const d of details) {
      expect(d.details.subjectIds).toEqual([patient.user.id]);
      expect(JSON.stringify(d.details)).not.toContain('data_processing');
    }
  });

  it('sends only the events an endpoint subscribed to, and nothing after it is deleted', async () => {
    const created = await register({
      url: `${receiver.url}/sessions`,
      events: ['session.started'],
    }).expect(201);
    const id = created.body.id as string;
    receiver.answer = () => 204;
    const webhooks = t.app.get(WebhooksService);
    await db.transaction(async (m) => {
      await webhooks.publish(m, 'session.ended', { sessionId: 'x' });
      await webhooks.publish(m, 'session.started', { sessionId: 'y' });
    });
    await until(() => receiver.at('/sessions').length === 1);
    expect(JSON.parse(receiver.at('/sessions')[0].body)).toMatchObject({
      type: 'session.started',
      data: { sessionId: 'y' },
    });

    await t
      .http()
      .delete(`/api/v1/admin/webhooks/${id}`)
      .set(authHeader(admin.accessToken))
      .expect(204);
    const published = await db.transaction((m) =>
      webhooks.publish(m, 'session.started', { sessionId: 'z' }),
    );
    expect(published).toBe(0);
    const list = await t
      .http()
      .get('/api/v1/admin/webhooks')
      .set(authHeader(admin.accessToken))
      .expect(200);
    expect((list.body.items as { id: string }[]).some((w) => w.id === id)).toBe(false);
    expect(JSON.stringify(list.body)).not.toContain('whsec_');
  });

  it('never follows a redirect; gives up after NOTIFY_MAX_ATTEMPTS, visibly', async () => {
    const created = await register({ url: `${receiver.url}/moved`, events: ['call.*'] }).expect(
      201,
    );
    const id = created.body.id as string;
    receiver.answer = (r) => (r.path === '/moved' ? 302 : 204);
    await db.transaction((m) =>
      t.app.get(WebhooksService).publish(m, 'call.ended', { callId: 'c1' }),
    );
    await until(async () => (await deliveries(id))[0]?.status === 'failed');
    expect((await deliveries(id))[0]).toMatchObject({
      attempts: 3,
      responseStatus: 302,
      lastError: 'HTTP_302',
    });
    expect(receiver.at('/moved/elsewhere')).toHaveLength(0);
    expect(receiver.at('/moved')).toHaveLength(3);
  });

  it('accepts an unreachable URL (its deliveries fail visibly) and refuses bad input', async () => {
    await register({ url: 'http://127.0.0.1:1/nobody-listens', events: ['*'] }).expect(201);
    const bad = await register({ url: `${receiver.url}/x`, events: ['billing.paid'] }).expect(400);
    expect(bad.body.code).toBe('VALIDATION_FAILED');
    await register({ url: 'ftp://ehr.example.org/', events: ['*'] }).expect(400);
    await register({ url: `${receiver.url}/x`, events: [] }).expect(400);
    const doctor = await signIn(t, Role.Doctor);
    await t
      .http()
      .post('/api/v1/admin/webhooks')
      .set(authHeader(doctor.accessToken))
      .send({ url: `${receiver.url}/x`, events: ['*'] })
      .expect(403);
  });
});

describe('webhooks: the SSRF guard without WEBHOOK_ALLOW_PRIVATE_TARGETS', () => {
  let t: TestApp;
  let admin: SignedIn;
  beforeAll(async () => {
    t = await createTestApp();
    admin = await signIn(t, Role.Admin);
  });
  afterAll(() => t?.close());

  it('refuses loopback, link-local and private targets, also behind a name', async () => {
    for (const url of [
      'http://127.0.0.1:8080/hook',
      'http://169.254.169.254/latest/meta-data/',
      'http://10.0.0.5/hook',
      'http://[::1]/hook',
      'http://localhost:8080/hook',
    ]) {
      const res = await t
        .http()
        .post('/api/v1/admin/webhooks')
        .set(authHeader(admin.accessToken))
        .send({ url, events: ['*'] });
      expect([url, res.status, res.body.code]).toEqual([url, 400, 'VALIDATION_FAILED']);
    }
  });
});
