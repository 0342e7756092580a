import { LifecycleState } from '../../src/infra/health/lifecycle.state';
import { KeyValueStore } from '../../src/infra/redis/key-value.store';
import { createTestApp, type TestApp } from '../support/test-app';
import { TcpProxy } from '../support/tcp-proxy';
import { TEST_REDIS_URL } from '../support/test-env';

// Readiness follows Redis too, liveness never does; draining turns readiness false.
describe('platform: readiness follows Redis and shutdown', () => {
  const target = new URL(TEST_REDIS_URL);
  const proxy = new TcpProxy(target.hostname, Number(target.port || 6379));
  let t: TestApp;

  beforeAll(async () => {
    await proxy.start();
    t = await createTestApp({ env: { REDIS_URL: `redis://127.0.0.1:${proxy.port}` } });
  });
  afterAll(async () => {
    await t.close();
    await proxy.stop();
  });

  it('goes unready while Redis is unreachable, stays live, and recovers on its own', async () => {
    await t.http().get('/health/ready').expect(200);
    await proxy.stop();
    const down = await t.http().get('/health/ready').expect(503);
    expect(down.body.error.redis).toMatchObject({ status: 'down', mode: 'redis' });
    await t.http().get('/health/live').expect(200);
    await expect(t.app.get(KeyValueStore).get('x')).rejects.toThrow();

    await proxy.start();
    let status = 0;
    for (let attempt = 0; attempt < 60 && status !== 200; attempt++) {
      status = (await t.http().get('/health/ready')).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(200);
  });

  it('reports not ready once draining has begun', async () => {
    t.app.get(LifecycleState).beginDrain();
    const res = await t.http().get('/health/ready').expect(503);
    expect(res.body.error.lifecycle).toMatchObject({ status: 'down', message: 'shutting down' });
    await t.http().get('/health/live').expect(200);
  });
});
