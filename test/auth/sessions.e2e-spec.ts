import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Role } from '../../src/common/auth/role';
import { AppConfig } from '../../src/config/app-config';
import { authHeader, createUser, login, signIn } from '../support/auth';
import { createTestApp, type TestApp } from '../support/test-app';

interface AuditRow {
  action: string;
  outcome: string;
  details: Record<string, unknown>;
  subject_id: string | null;
}

describe('auth: refresh rotation, device sessions, logout', () => {
  let t: TestApp;
  let db: DataSource;

  beforeAll(async () => {
    t = await createTestApp({ env: { AUTH_RATE_LIMIT_PER_MINUTE: '1000' } });
    db = t.app.get(DataSource);
  });
  afterAll(() => t.close());

  const refresh = (refreshToken: string) =>
    t.http().post('/api/v1/auth/refresh').send({ refreshToken });
  const me = (accessToken: string) => t.http().get('/api/v1/users/me').set(authHeader(accessToken));
  const auditOf = (userId: string) =>
    db.query<AuditRow[]>(
      'SELECT action, outcome, details, subject_id FROM audit_events WHERE subject_id = $1 ORDER BY seq',
      [userId],
    );

  it('rotates on every refresh; a rotated token is TOKEN_REUSED and ends the family', async () => {
    const s = await signIn(t, Role.Patient);
    const first = await refresh(s.refreshToken).expect(200);
    expect(first.body.refreshToken).not.toBe(s.refreshToken);
    expect(first.body.user.id).toBe(s.user.id);
    await me(first.body.accessToken).expect(200);
    const second = await refresh(first.body.refreshToken).expect(200);

    const reused = await refresh(s.refreshToken).expect(401);
    expect(reused.body.code).toBe('TOKEN_REUSED');
    // Every descendant of that login is dead: the newest refresh token and access token.
    expect((await refresh(second.body.refreshToken).expect(401)).body.code).toBe('UNAUTHORIZED');
    await me(second.body.accessToken).expect(401);
    await me(s.accessToken).expect(401);

    const audit = await auditOf(s.user.id);
    expect(audit.map((a) => `${a.action}:${a.outcome}`)).toEqual(
      expect.arrayContaining([
        'auth.login:success',
        'auth.refresh:success',
        'auth.token_reuse:denied',
      ]),
    );
    const serialized = JSON.stringify(audit);
    for (const secret of [s.refreshToken, first.body.refreshToken, s.password, s.accessToken]) {
      expect(serialized).not.toContain(secret);
    }
  });

  it('lets exactly one of two concurrent refreshes with the same token succeed', async () => {
    const s = await signIn(t, Role.Patient);
    const results = await Promise.all([refresh(s.refreshToken), refresh(s.refreshToken)]);
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 401]);
  });

  it('refuses an unknown refresh token without touching anything', async () => {
    const res = await refresh('x'.repeat(43)).expect(401);
    expect(res.body.code).toBe('UNAUTHORIZED');
  });

  it('logout kills the access token on the very next request, and its refresh token', async () => {
    const s = await signIn(t, Role.Doctor);
    await me(s.accessToken).expect(200);
    await t.http().post('/api/v1/auth/logout').set(authHeader(s.accessToken)).send({}).expect(204);
    await me(s.accessToken).expect(401);
    expect((await refresh(s.refreshToken).expect(401)).body.code).toBe('UNAUTHORIZED');
    const audit = await auditOf(s.user.id);
    expect(audit.map((a) => a.action)).toContain('auth.logout');
  });

  it('lists device sessions and revokes one of them', async () => {
    const u = await createUser(t, { role: Role.Patient });
    const phone = await t
      .http()
      .post('/api/v1/auth/login')
      .set('User-Agent', 'HekimMobile/1.0 (Android)')
      .send({ email: u.email, password: u.password })
      .expect(200);
    const laptop = await login(t, u.email, u.password);

    const list = await t
      .http()
      .get('/api/v1/auth/sessions')
      .set(authHeader(laptop.accessToken))
      .expect(200);
    expect(list.body.items).toHaveLength(2);
    const phoneSession = list.body.items.find(
      (s: { userAgent: string | null }) => s.userAgent === 'HekimMobile/1.0 (Android)',
    );
    expect(phoneSession).toEqual({
      id: expect.any(String),
      createdAt: expect.any(String),
      lastUsedAt: expect.any(String),
      expiresAt: expect.any(String),
      userAgent: 'HekimMobile/1.0 (Android)',
      ip: expect.any(String),
      current: false,
    });
    expect(list.body.items.filter((s: { current: boolean }) => s.current)).toHaveLength(1);

    await t
      .http()
      .delete(`/api/v1/auth/sessions/${phoneSession.id}`)
      .set(authHeader(laptop.accessToken))
      .expect(204);
    await me(phone.body.accessToken).expect(401);
    await refresh(phone.body.refreshToken).expect(401);
    await me(laptop.accessToken).expect(200);

    // Someone else's session looks like a missing one.
    const other = await signIn(t, Role.Patient);
    const res = await t
      .http()
      .delete(`/api/v1/auth/sessions/${phoneSession.id}`)
      .set(authHeader(other.accessToken))
      .expect(404);
    expect(res.body.code).toBe('NOT_FOUND');
    const audit = await auditOf(u.id);
    expect(audit.map((a) => `${a.action}:${a.outcome}`)).toContain('auth.session_revoke:success');
  });

  it('ends a session after the idle timeout and after its absolute lifetime', async () => {
    const idle = await signIn(t, Role.Patient);
    await db.query(
      `UPDATE auth_sessions SET last_used_at = now() - interval '2 hours' WHERE user_id = $1`,
      [idle.user.id],
    );
    await refresh(idle.refreshToken).expect(401);
    const [idleRow] = await db.query<{ revoked_reason: string }[]>(
      'SELECT revoked_reason FROM auth_sessions WHERE user_id = $1',
      [idle.user.id],
    );
    expect(idleRow.revoked_reason).toBe('idle_timeout');
    await me(idle.accessToken).expect(401);

    const old = await signIn(t, Role.Patient);
    await db.query(
      `UPDATE auth_sessions SET expires_at = now() - interval '1 second' WHERE user_id = $1`,
      [old.user.id],
    );
    await refresh(old.refreshToken).expect(401);
    const [oldRow] = await db.query<{ revoked_reason: string }[]>(
      'SELECT revoked_reason FROM auth_sessions WHERE user_id = $1',
      [old.user.id],
    );
    expect(oldRow.revoked_reason).toBe('expired');
  });

  // The session and its first refresh token are written by one prepared statement
  // (DeviceSessionsRepository.openSession): what it returns is what the token, the audit record
  // and the rows say, on every login (a statement prepared once, then reused, per connection).
  it('opens a session whose id the access token, the audit record and the rows agree on', async () => {
    const u = await createUser(t, { role: Role.Patient });
    for (let i = 0; i < 3; i++) {
      const before = Date.now();
      const res = await t
        .http()
        .post('/api/v1/auth/login')
        .set('User-Agent', `HekimBench/${i}`)
        .send({ email: u.email, password: u.password })
        .expect(200);
      const sid = (
        JSON.parse(Buffer.from(res.body.accessToken.split('.')[1], 'base64url').toString()) as {
          sid: string;
        }
      ).sid;
      const [row] = await db.query<
        { user_id: string; user_agent: string; expires_at: Date; hash: string }[]
      >(
        `SELECT s.user_id, s.user_agent, s.expires_at, r.token_hash AS hash
         FROM auth_sessions s JOIN auth_refresh_tokens r ON r.session_id = s.id WHERE s.id = $1`,
        [sid],
      );
      expect(row).toMatchObject({ user_id: u.id, user_agent: `HekimBench/${i}` });
      expect(row.hash).toBe(createHash('sha256').update(res.body.refreshToken).digest('hex'));
      // REFRESH_TOKEN_TTL_SECONDS after the login, give or take the request.
      const ttlMs = t.app.get(AppConfig).auth.refreshTokenTtlSeconds * 1000;
      expect(row.expires_at.getTime() - before).toBeGreaterThanOrEqual(ttlMs - 1000);
      expect(row.expires_at.getTime() - before).toBeLessThan(ttlMs + 60_000);
      const audit = await auditOf(u.id);
      expect(
        audit.filter((a) => a.action === 'auth.login' && a.outcome === 'success'),
      ).toHaveLength(i + 1);
      expect(audit.at(-1)).toMatchObject({
        action: 'auth.login',
        details: { sessionId: sid, secondFactor: 'none' },
      });
      await refresh(res.body.refreshToken).expect(200);
    }
  });

  it('stores refresh tokens only as hashes', async () => {
    const s = await signIn(t, Role.Patient);
    const rows = await db.query<{ token_hash: string }[]>(
      `SELECT r.token_hash FROM auth_refresh_tokens r JOIN auth_sessions s ON s.id = r.session_id WHERE s.user_id = $1`,
      [s.user.id],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0].token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(rows[0].token_hash).not.toContain(s.refreshToken);
    // 32 random bytes, base64url.
    expect(Buffer.from(s.refreshToken, 'base64url')).toHaveLength(32);
  });
});

describe('auth: revocation across instances', () => {
  it('a logout on one instance is honoured by another at once', async () => {
    const a = await createTestApp();
    const b = await createTestApp({
      db: a.db,
      redisPrefix: a.config.redis.keyPrefix,
      env: {
        JWT_SECRET: a.config.auth.jwtSecret,
        DATA_ENCRYPTION_KEY: a.config.encryption.dataEncryptionKey,
        AUDIT_SIGNING_KEY: a.config.audit.signingKey,
      },
    });
    try {
      const s = await signIn(a, Role.Patient);
      await b.http().get('/api/v1/users/me').set(authHeader(s.accessToken)).expect(200);
      await a
        .http()
        .post('/api/v1/auth/logout')
        .set(authHeader(s.accessToken))
        .send({})
        .expect(204);
      await b.http().get('/api/v1/users/me').set(authHeader(s.accessToken)).expect(401);
    } finally {
      await b.close();
      await a.close();
    }
  });
});
