import { DataSource } from 'typeorm';
import { Role } from '../../src/common/auth/role';
import { WebhookSubscriptions } from '../../src/modules/webhooks/webhook-subscriptions';
import { WebhooksRepository } from '../../src/modules/webhooks/webhooks.repository';
import { WebhooksService } from '../../src/modules/webhooks/webhooks.service';
import { authHeader, signIn } from '../support/auth';
import { until } from '../support/signaling-client';
import { createTestApp, type TestApp } from '../support/test-app';

const ENV = { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' };

// Publishing an event nobody subscribed to costs no query: what the endpoints subscribed to is
// kept per instance, and an endpoint registered or deleted on one instance is known to the
// others at once through PubSub (Redis), not at the end of the cache's lifetime.
describe('webhook subscriptions across two instances', () => {
  let a: TestApp;
  let b: TestApp;
  const ttl = WebhookSubscriptions.TTL_MS;

  beforeAll(async () => {
    // Longer than the test: only the announcement can make instance b see a change.
    WebhookSubscriptions.TTL_MS = 10 * 60_000;
    a = await createTestApp({ env: ENV });
    b = await createTestApp({ env: ENV, db: a.db, redisPrefix: a.config.redis.keyPrefix });
  });
  afterAll(async () => {
    WebhookSubscriptions.TTL_MS = ttl;
    await b?.close();
    await a?.close();
  });

  const publishOnB = (): Promise<number> =>
    b.app
      .get(DataSource)
      .transaction((m) =>
        b.app
          .get(WebhooksService)
          .publish(m, 'consent.granted', { consentId: 'c', userId: 'u', purpose: 'p', version: 1 }),
      );

  it('publishes without a query while nobody is subscribed, and sees endpoints registered and deleted elsewhere', async () => {
    const repository = b.app.get(WebhooksRepository);
    const patterns = jest.spyOn(repository, 'liveEventPatterns');
    const endpoints = jest.spyOn(repository, 'liveEndpoints');

    expect(await publishOnB()).toBe(0);
    expect(await publishOnB()).toBe(0);
    expect(await publishOnB()).toBe(0);
    // One read of the subscriptions, then none; the endpoints were never read.
    expect(patterns).toHaveBeenCalledTimes(1);
    expect(endpoints).not.toHaveBeenCalled();

    const admin = await signIn(a, Role.Admin);
    const created = await a
      .http()
      .post('/api/v1/admin/webhooks')
      .set(authHeader(admin.accessToken))
      .send({ url: 'http://127.0.0.1:9/hook', events: ['consent.*'] })
      .expect(201);
    const id = (created.body as { id: string }).id;

    await until(async () => (await publishOnB()) === 1, 5000);
    const [{ n }] = await b.app
      .get(DataSource)
      .query<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM webhook_deliveries WHERE endpoint_id = $1`,
        [id],
      );
    expect(n).toBeGreaterThanOrEqual(1);

    await a
      .http()
      .delete(`/api/v1/admin/webhooks/${id}`)
      .set(authHeader(admin.accessToken))
      .expect(204);
    await until(async () => (await publishOnB()) === 0, 5000);
    const reads = patterns.mock.calls.length;
    expect(await publishOnB()).toBe(0);
    expect(patterns).toHaveBeenCalledTimes(reads);
  });
});
