import { randomUUID } from 'node:crypto';
import { Role } from '../../src/common/auth/role';
import { authHeader, createUser, signIn } from '../support/auth';
import { createTestApp, type TestApp } from '../support/test-app';
import { TcpProxy } from '../support/tcp-proxy';
import { TEST_REDIS_URL } from '../support/test-env';
import { connect, refusal, request } from '../support/signaling-client';

// Without Redis the credential rate limits and the lockout cannot be counted: those routes
// refuse (503) rather than let guesses through unchecked. Revocation, status and role are
// read from PostgreSQL (their record), so every other route keeps working and a logout still
// takes effect at once (docs/access-model.md, "Revocation").
describe('auth: fails closed on credentials when Redis is unreachable', () => {
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

  it('answers 503 on credential routes, serves protected ones from PostgreSQL, and recovers', async () => {
    const s = await signIn(t, Role.Patient);
    const leaving = await signIn(t, Role.Patient);
    const u = await createUser(t, { role: Role.Patient });
    const me = (token: string) => t.http().get('/api/v1/users/me').set(authHeader(token));
    await proxy.stop();
    try {
      const login = await t
        .http()
        .post('/api/v1/auth/login')
        .send({ email: u.email, password: u.password });
      expect(login.status).toBe(503);
      expect(login.body.code).toBe('UNAVAILABLE');
      expect((await me(s.accessToken)).status).toBe(200);
      // Revocation needs no Redis: the logout is recorded in PostgreSQL and holds at once.
      await t
        .http()
        .post('/api/v1/auth/logout')
        .set(authHeader(leaving.accessToken))
        .send({})
        .expect(204);
      expect((await me(leaving.accessToken)).status).toBe(401);
    } finally {
      await proxy.start();
    }

    let status = 0;
    for (let attempt = 0; attempt < 60 && status !== 200; attempt++) {
      status = (
        await t.http().post('/api/v1/auth/login').send({ email: u.email, password: u.password })
      ).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(200);
  });

  it('keeps open sockets and accepts new ones (checked against PostgreSQL), refusing bad tokens', async () => {
    const s = await signIn(t, Role.Patient);
    const socket = await connect(t, { token: s.accessToken });
    const reasons: string[] = [];
    socket.on('disconnect', (reason) => reasons.push(reason));
    await proxy.stop();
    try {
      // The per-user socket cap cannot be counted without Redis and fails open.
      expect(await refusal(t, { token: s.accessToken })).toBe('CONNECTED');
      expect(await refusal(t, { token: 'not-a-token' })).toBe('UNAUTHORIZED');
      // Outlast the periodic standing check (every 2 s): an authenticated socket is not cut
      // by the outage.
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
