import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { Role } from '../../src/common/auth/role';
import { createUser, uniqueEmail } from '../support/auth';
import { createTestApp, type TestApp } from '../support/test-app';
import { TEST_REDIS_URL } from '../support/test-env';

describe('auth: lockout and rate limits', () => {
  let t: TestApp;
  let redis: Redis;

  beforeAll(async () => {
    t = await createTestApp({
      env: {
        LOGIN_MAX_ATTEMPTS: '3',
        LOCKOUT_BASE_SECONDS: '60',
        AUTH_RATE_LIMIT_PER_MINUTE: '1000',
      },
    });
    redis = new Redis(TEST_REDIS_URL);
  });
  afterAll(async () => {
    redis.disconnect();
    await t.close();
  });

  const attempt = (email: string, password: string) =>
    t.http().post('/api/v1/auth/login').send({ email, password });

  // Stands in for the lock period running out, without waiting for it.
  async function expireLocks(): Promise<void> {
    const keys = await redis.keys(`${t.config.redis.keyPrefix}auth:login-lock:*`);
    if (keys.length > 0) await redis.del(...keys);
  }

  it('locks an account for a growing period and says when to retry', async () => {
    const u = await createUser(t, { role: Role.Patient });
    for (let i = 0; i < 3; i++) await attempt(u.email, 'wrong password here').expect(401);

    const locked = await attempt(u.email, u.password).expect(423);
    expect(locked.body.code).toBe('RATE_LIMITED');
    const first = Number(locked.headers['retry-after']);
    expect(first).toBeGreaterThan(50);
    expect(first).toBeLessThanOrEqual(60);
    expect(locked.body.retryAfter).toBe(first);

    await expireLocks();
    for (let i = 0; i < 3; i++) await attempt(u.email, 'wrong password here').expect(401);
    const second = Number((await attempt(u.email, u.password).expect(423)).headers['retry-after']);
    expect(second).toBeGreaterThan(60);
    expect(second).toBeLessThanOrEqual(120);

    await expireLocks();
    await attempt(u.email, u.password).expect(200);
  });

  it('locks unknown addresses the same way, so a lock reveals nothing', async () => {
    const email = uniqueEmail('ghost');
    for (let i = 0; i < 3; i++) await attempt(email, 'wrong password here').expect(401);
    const res = await attempt(email, 'wrong password here').expect(423);
    expect(res.headers['retry-after']).toBeDefined();
  });

  it('records failures and the lockout in the audit trail', async () => {
    const u = await createUser(t, { role: Role.Doctor });
    for (let i = 0; i < 3; i++) await attempt(u.email, 'wrong password here').expect(401);
    await attempt(u.email, u.password).expect(423);
    const rows = await t.app
      .get(DataSource)
      .query<{ action: string; outcome: string; details: { reason?: string } }[]>(
        "SELECT action, outcome, details FROM audit_events WHERE subject_id = $1 OR (subject_id IS NULL AND details->>'reason' = 'locked') ORDER BY seq",
        [u.id],
      );
    const summary = rows.map((r) => `${r.action}:${r.outcome}:${r.details.reason ?? ''}`);
    expect(summary).toEqual(
      expect.arrayContaining([
        'auth.login:failure:bad_password',
        'auth.lockout:denied:',
        'auth.login:denied:locked',
      ]),
    );
  });
});

describe('auth: per-address rate limit on credential routes', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ env: { AUTH_RATE_LIMIT_PER_MINUTE: '3' } });
  });
  afterAll(() => t.close());

  it('answers 429 RATE_LIMITED with Retry-After once the limit is reached', async () => {
    for (let i = 0; i < 3; i++) {
      const ok = await t
        .http()
        .post('/api/v1/auth/password/forgot')
        .send({ email: uniqueEmail() })
        .expect(202);
      // Counted by the credential throttler only, not by the default one as well.
      expect(ok.headers['x-ratelimit-remaining-auth']).toBe(String(2 - i));
      expect(ok.headers['x-ratelimit-remaining']).toBeUndefined();
    }
    const res = await t
      .http()
      .post('/api/v1/auth/password/forgot')
      .send({ email: uniqueEmail() })
      .expect(429);
    expect(res.body.code).toBe('RATE_LIMITED');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    // Other routes are not counted against the credential limit.
    await t.http().get('/health/live').expect(200);
  });
});

describe('auth: lockout across instances', () => {
  it('a lock earned on one instance holds on another', async () => {
    const env = { LOGIN_MAX_ATTEMPTS: '2', AUTH_RATE_LIMIT_PER_MINUTE: '1000' };
    const a = await createTestApp({ env });
    const b = await createTestApp({
      db: a.db,
      redisPrefix: a.config.redis.keyPrefix,
      env: { ...env, JWT_SECRET: a.config.auth.jwtSecret },
    });
    try {
      const u = await createUser(a, { role: Role.Patient });
      for (let i = 0; i < 2; i++) {
        await a
          .http()
          .post('/api/v1/auth/login')
          .send({ email: u.email, password: 'wrong password here' })
          .expect(401);
      }
      const res = await b
        .http()
        .post('/api/v1/auth/login')
        .send({ email: u.email, password: u.password })
        .expect(423);
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    } finally {
      await b.close();
      await a.close();
    }
  });
});
