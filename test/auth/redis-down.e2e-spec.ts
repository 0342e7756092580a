import { randomUUID } from 'node:crypto';
import { Role } from '../../src/common/auth/role';
import { authHeader, createUser, signIn } from '../support/auth';
import { createTestApp, type TestApp } from '../support/test-app';
import { TcpProxy } from '../support/tcp-proxy';
import { TEST_REDIS_URL } from '../support/test-env';
import { connect, refusal, request } from '../support/signaling-client';

// Without Redis neither the credential rate limits nor the revocation list can be checked:
// Hekim refuses rather than let a request through unchecked.
describe('auth: fails closed when Redis is unreachable', () => {
  const target = new URL(TEST_REDIS_URL);
  const proxy = new TcpProxy(target.hostname, Number(target.port || 6379));
  let t: TestApp;

  beforeAll(async () => {
    await proxy.start();
    t = await createTestApp({
      env: { REDIS_URL: `redis://127.0.0.1:${proxy.port}` },
      listen: true,
    });
  });
  afterAll(async () => {
    await t.close();
    await proxy.stop();
  });

  it('answers 503 on credential routes and protected routes, and recovers', async () => {
    const s = await signIn(t, Role.Patient);
    const u = await createUser(t, { role: Role.Patient });
    await proxy.stop();

    const login = await t
      .http()
      .post('/api/v1/auth/login')
      .send({ email: u.email, password: u.password });
    expect(login.status).toBe(503);
    expect(login.body.code).toBe('UNAVAILABLE');
    const me = await t.http().get('/api/v1/users/me').set(authHeader(s.accessToken));
    expect(me.status).toBe(503);

    await proxy.start();
    let status = 0;
    for (let attempt = 0; attempt < 60 && status !== 200; attempt++) {
      status = (await t.http().get('/api/v1/users/me').set(authHeader(s.accessToken))).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(200);
  });

  it('keeps open sockets, refuses new ones as UNAVAILABLE (not UNAUTHORIZED), and recovers', async () => {
    const s = await signIn(t, Role.Patient);
    const socket = await connect(t, { token: s.accessToken });
    const reasons: string[] = [];
    socket.on('disconnect', (reason) => reasons.push(reason));
    await proxy.stop();
    try {
      expect(await refusal(t, { token: s.accessToken })).toBe('UNAVAILABLE');
      expect(await refusal(t, { token: 'not-a-token' })).toBe('UNAUTHORIZED');
      // Outlast the periodic revocation check (every 2 s): it cannot read the list, and an
      // authenticated socket is not cut for that.
      await new Promise((r) => setTimeout(r, 3000));
      expect(reasons).toEqual([]);
      expect(socket.connected).toBe(true);
      // The call-initiation limit is counted in Redis and fails closed: retry later.
      const call = await request(socket, 'call:initiate', {
        calleeIds: [randomUUID()],
        type: 'audio',
      });
      expect(call.error?.code).toBe('UNAVAILABLE');
    } finally {
      await proxy.start();
      socket.close();
    }
    let answer = '';
    for (let attempt = 0; attempt < 60 && answer !== 'CONNECTED'; attempt++) {
      answer = await refusal(t, { token: s.accessToken });
      if (answer !== 'CONNECTED') await new Promise((r) => setTimeout(r, 100));
    }
    expect(answer).toBe('CONNECTED');
  });
});
