import { DataSource } from 'typeorm';
import { Role } from '../../src/common/auth/role';
import {
  authHeader,
  createUser,
  login,
  signIn,
  strongPassword,
  uniqueEmail,
} from '../support/auth';
import { createTestApp, type TestApp } from '../support/test-app';

interface OutboxRow {
  recipient: string;
  kind: string;
  payload: { token?: string; expiresAt?: string };
}

describe('auth: password reset through the outbox', () => {
  let t: TestApp;
  let db: DataSource;

  beforeAll(async () => {
    t = await createTestApp({ env: { AUTH_RATE_LIMIT_PER_MINUTE: '1000' } });
    db = t.app.get(DataSource);
  });
  afterAll(() => t.close());

  const outbox = (email: string) =>
    db.query<OutboxRow[]>(
      'SELECT recipient, kind, payload FROM notification_outbox WHERE recipient = $1 ORDER BY created_at',
      [email],
    );
  const forgot = (email: string) => t.http().post('/api/v1/auth/password/forgot').send({ email });
  const reset = (token: string, newPassword: string) =>
    t.http().post('/api/v1/auth/password/reset').send({ token, newPassword });

  it('resets a password end to end and ends every session of the user', async () => {
    const s = await signIn(t, Role.Patient);
    const other = await login(t, s.user.email, s.password);
    await forgot(s.user.email.toUpperCase()).expect(202);

    const [message] = await outbox(s.user.email);
    expect(message.kind).toBe('password_reset');
    const token = message.payload.token!;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const expiresIn = new Date(message.payload.expiresAt!).getTime() - Date.now();
    expect(expiresIn).toBeGreaterThan(29 * 60_000);
    expect(expiresIn).toBeLessThanOrEqual(30 * 60_000);
    // Stored hashed only.
    const stored = await db.query<{ token_hash: string }[]>(
      `SELECT token_hash FROM auth_single_use_tokens WHERE user_id = $1 AND purpose = 'password_reset'`,
      [s.user.id],
    );
    expect(stored[0].token_hash).not.toBe(token);

    const weak = await reset(token, 'password1234').expect(400);
    expect(weak.body.code).toBe('VALIDATION_FAILED');

    const newPassword = strongPassword();
    await reset(token, newPassword).expect(204);
    await t.http().get('/api/v1/users/me').set(authHeader(s.accessToken)).expect(401);
    await t.http().get('/api/v1/users/me').set(authHeader(other.accessToken)).expect(401);
    await t.http().post('/api/v1/auth/refresh').send({ refreshToken: s.refreshToken }).expect(401);

    await t
      .http()
      .post('/api/v1/auth/login')
      .send({ email: s.user.email, password: s.password })
      .expect(401);
    await login(t, s.user.email, newPassword);

    // Single use.
    const again = await reset(token, strongPassword()).expect(400);
    expect(again.body.code).toBe('VALIDATION_FAILED');

    const audit = await db.query<{ action: string; outcome: string; details: object }[]>(
      'SELECT action, outcome, details FROM audit_events WHERE subject_id = $1 ORDER BY seq',
      [s.user.id],
    );
    expect(audit.map((a) => `${a.action}:${a.outcome}`)).toEqual(
      expect.arrayContaining([
        'auth.password_reset_request:success',
        'auth.password_reset:success',
        'auth.password_reset:failure',
      ]),
    );
    expect(JSON.stringify(audit)).not.toContain(token);
  });

  it('answers 202 for unknown addresses and writes nothing to the outbox', async () => {
    const email = uniqueEmail('nobody');
    const res = await forgot(email).expect(202);
    expect(res.text).toBe('');
    expect(await outbox(email)).toEqual([]);
  });

  it('refuses an expired token', async () => {
    const u = await createUser(t, { role: Role.Patient });
    await forgot(u.email).expect(202);
    const [message] = await outbox(u.email);
    await db.query(
      `UPDATE auth_single_use_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1`,
      [u.id],
    );
    await reset(message.payload.token!, strongPassword()).expect(400);
    await reset('A'.repeat(43), strongPassword()).expect(400);
  });
});
