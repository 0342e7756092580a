import { KeyValueStore, PubSub } from '../../src/infra/redis/key-value.store';
import { MemoryKeyValueStore, MemoryPubSub } from '../../src/infra/redis/memory.store';
import { createTestApp, type TestApp } from '../support/test-app';

// Without REDIS_URL the same app runs on in-process stores; docs and metrics can be switched
// off; a proxy can be trusted for client addresses.
describe('platform: in-process stores and optional endpoints', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({
      env: {
        REDIS_URL: '',
        DOCS_ENABLED: 'false',
        METRICS_ENABLED: 'false',
        TRUST_PROXY: 'true',
        DATABASE_MIGRATIONS_RUN: 'false',
      },
    });
  });
  afterAll(() => t.close());

  it('uses in-process stores and reports them in readiness', async () => {
    expect(t.app.get(KeyValueStore)).toBeInstanceOf(MemoryKeyValueStore);
    expect(t.app.get(PubSub)).toBeInstanceOf(MemoryPubSub);
    const res = await t.http().get('/health/ready').expect(200);
    expect(res.body.details.redis).toEqual({ status: 'up', mode: 'in-process' });
  });

  it('serves neither Swagger nor metrics when they are switched off', async () => {
    await t.http().get('/docs-json').expect(404);
    const res = await t.http().get('/metrics').expect(404);
    expect(res.body.code).toBe('NOT_FOUND');
  });
});
