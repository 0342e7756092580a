import { createTestApp, createTestDatabase, type TestApp } from '../support/test-app';
import { TcpProxy } from '../support/tcp-proxy';
import { TEST_DATABASE_URL } from '../support/test-env';

// Readiness follows PostgreSQL: it fails while the database is unreachable and recovers on
// its own when it returns, with no restart. Liveness never follows it.
describe('platform: readiness follows PostgreSQL', () => {
  const target = new URL(TEST_DATABASE_URL);
  const proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
  let t: TestApp;

  beforeAll(async () => {
    await proxy.start();
    const db = await createTestDatabase();
    const viaProxy = new URL(db.url);
    viaProxy.port = String(proxy.port);
    t = await createTestApp({
      db: { ...db, url: viaProxy.toString() },
      env: { DATABASE_URL: viaProxy.toString() },
    });
    // createTestApp does not own a database it was given; drop it after closing.
    const close = t.close.bind(t);
    t.close = async () => {
      await close();
      await db.drop();
    };
  });
  afterAll(async () => {
    await t.close();
    await proxy.stop();
  });

  it('goes unready when PostgreSQL is unreachable and recovers without a restart', async () => {
    await t.http().get('/health/ready').expect(200);

    await proxy.stop();
    const down = await t.http().get('/health/ready').expect(503);
    expect(down.body.error.database.status).toBe('down');
    await t.http().get('/health/live').expect(200);

    await proxy.start();
    let status = 0;
    for (let attempt = 0; attempt < 50 && status !== 200; attempt++) {
      status = (await t.http().get('/health/ready')).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(200);
  });
});
