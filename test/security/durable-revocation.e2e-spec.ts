import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { generateSecrets } from '../../src/config/secrets';
import { Role } from '../../src/common/auth/role';
import { authHeader, createUser, login, signIn, type SignedIn } from '../support/auth';
import { connect, disconnected, refusal } from '../support/signaling-client';
import {
  createTestApp,
  createTestDatabase,
  deleteRedisKeys,
  type TestApp,
  type TestDatabase,
} from '../support/test-app';

// Finding 2: revocation lived only in Redis (or in process memory). After a restart with the
// Redis data gone, the tokens of a logged-out session, a revoked device session, a
// deactivated user and an admin demoted to patient all worked again, and the guard trusted
// the role inside the token. PostgreSQL is the record now; caches only speed it up.
describe('security: revocation survives restarts of every instance and the loss of Redis', () => {
  // Instances of one deployment share their secrets: a token of one is valid on the others.
  const secrets: NodeJS.ProcessEnv = { ...generateSecrets() };
  interface Revoked {
    loggedOut: SignedIn;
    revokedDevice: SignedIn;
    deactivated: SignedIn;
    demotedAdmin: SignedIn;
  }

  // Four users whose tokens must stop working, each by one of the four acts, made on `a`.
  async function revokeAll(a: TestApp): Promise<Revoked> {
    const admin = await signIn(a, Role.Admin);
    const loggedOut = await signIn(a, Role.Patient);
    const deactivated = await signIn(a, Role.Doctor);
    const demotedAdmin = await signIn(a, Role.Admin);
    const owner = await createUser(a, { role: Role.Patient });
    const phone = await login(a, owner.email, owner.password);
    const laptop = await login(a, owner.email, owner.password);
    const revokedDevice: SignedIn = {
      user: owner,
      accessToken: phone.accessToken,
      refreshToken: phone.refreshToken,
      password: owner.password,
    };
    // Every token works before.
    for (const s of [loggedOut, revokedDevice, deactivated, demotedAdmin])
      await a.http().get('/api/v1/users/me').set(authHeader(s.accessToken)).expect(200);
    await a
      .http()
      .get('/api/v1/audit/events')
      .set(authHeader(demotedAdmin.accessToken))
      .expect(200);

    await a
      .http()
      .post('/api/v1/auth/logout')
      .set(authHeader(loggedOut.accessToken))
      .send({})
      .expect(204);
    const sessions = await a
      .http()
      .get('/api/v1/auth/sessions')
      .set(authHeader(laptop.accessToken))
      .expect(200);
    const phoneSession = (sessions.body.items as { id: string; current: boolean }[]).find(
      (s) => !s.current,
    );
    await a
      .http()
      .delete(`/api/v1/auth/sessions/${phoneSession?.id}`)
      .set(authHeader(laptop.accessToken))
      .expect(204);
    await a
      .http()
      .delete(`/api/v1/users/${deactivated.user.id}`)
      .set(authHeader(admin.accessToken))
      .expect(204);
    await a
      .http()
      .patch(`/api/v1/users/${demotedAdmin.user.id}`)
      .set(authHeader(admin.accessToken))
      .send({ role: 'patient' })
      .expect(200);
    return { loggedOut, revokedDevice, deactivated, demotedAdmin };
  }

  async function expectRefusedEverywhere(apps: TestApp[], revoked: Revoked): Promise<void> {
    for (const app of apps) {
      for (const [name, s] of Object.entries(revoked)) {
        const res = await app.http().get('/api/v1/users/me').set(authHeader(s.accessToken));
        expect({ name, status: res.status }).toEqual({ name, status: 401 });
        expect({ name, socket: await refusal(app, { token: s.accessToken }) }).toEqual({
          name,
          socket: 'UNAUTHORIZED',
        });
      }
      const audit = await app
        .http()
        .get('/api/v1/audit/events')
        .set(authHeader(revoked.demotedAdmin.accessToken));
      expect(audit.status).toBe(401);
    }
  }

  it('server mode: two instances, both restarted with their Redis keys flushed', async () => {
    const db = await createTestDatabase();
    const prefix = `hekim-test:${randomBytes(6).toString('hex')}:`;
    const start = () => createTestApp({ db, redisPrefix: prefix, listen: true, env: secrets });
    try {
      const [a, b] = [await start(), await start()];
      const revoked = await revokeAll(a);
      await expectRefusedEverywhere([a, b], revoked);
      await Promise.all([a.close(), b.close()]);
      await deleteRedisKeys(prefix);
      const [c, d] = [await start(), await start()];
      try {
        await expectRefusedEverywhere([c, d], revoked);
      } finally {
        await Promise.all([c.close(), d.close()]);
      }
    } finally {
      await db.drop();
      await deleteRedisKeys(prefix);
    }
  });

  it('in-process mode (no Redis): refused again after a restart of the app', async () => {
    const db = await createTestDatabase();
    const start = () => createTestApp({ db, listen: true, env: { ...secrets, REDIS_URL: '' } });
    try {
      const a = await start();
      expect(a.config.redis.url).toBeUndefined();
      const revoked = await revokeAll(a);
      await expectRefusedEverywhere([a], revoked);
      await a.close();
      const b = await start();
      try {
        await expectRefusedEverywhere([b], revoked);
      } finally {
        await b.close();
      }
    } finally {
      await db.drop();
    }
  });

  it('authorizes with the current role, not the one in the token', async () => {
    const db: TestDatabase = await createTestDatabase();
    const prefix = `hekim-test:${randomBytes(6).toString('hex')}:`;
    try {
      const a = await createTestApp({ db, redisPrefix: prefix, listen: true, env: secrets });
      const admin = await signIn(a, Role.Admin);
      await a.http().get('/api/v1/audit/events').set(authHeader(admin.accessToken)).expect(200);
      // The role changes in the record itself, by no route that would revoke the session.
      await a.app
        .get(DataSource)
        .query(`UPDATE users SET role = 'patient' WHERE id = $1`, [admin.user.id]);
      await a.close();
      await deleteRedisKeys(prefix);
      const b = await createTestApp({ db, redisPrefix: prefix, listen: true, env: secrets });
      try {
        const res = await b.http().get('/api/v1/audit/events').set(authHeader(admin.accessToken));
        expect(res.status).toBe(403);
        const me = await b
          .http()
          .get('/api/v1/users/me')
          .set(authHeader(admin.accessToken))
          .expect(200);
        expect(me.body.role).toBe('patient');
      } finally {
        await b.close();
      }
    } finally {
      await db.drop();
      await deleteRedisKeys(prefix);
    }
  });

  it('drops a live socket within 5 s of a deactivation made on another instance', async () => {
    const db = await createTestDatabase();
    const prefix = `hekim-test:${randomBytes(6).toString('hex')}:`;
    const start = () => createTestApp({ db, redisPrefix: prefix, listen: true, env: secrets });
    const [a, b] = [await start(), await start()];
    try {
      const admin = await signIn(a, Role.Admin);
      const doctor = await signIn(a, Role.Doctor);
      const socket = await connect(b, { token: doctor.accessToken });
      const at = Date.now();
      await a
        .http()
        .delete(`/api/v1/users/${doctor.user.id}`)
        .set(authHeader(admin.accessToken))
        .expect(204);
      await disconnected(socket, 5000);
      expect(Date.now() - at).toBeLessThan(5000);
      socket.close();
    } finally {
      await Promise.all([a.close(), b.close()]);
      await db.drop();
      await deleteRedisKeys(prefix);
    }
  });
});
