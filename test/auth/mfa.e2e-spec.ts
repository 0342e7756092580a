import { generate } from 'otplib';
import { DataSource } from 'typeorm';
import { Role } from '../../src/common/auth/role';
import { authHeader, createUser, login, signIn, type SignedIn } from '../support/auth';
import { createTestApp, type TestApp } from '../support/test-app';

// A code for the current time step shifted by `offsetSteps`. The server accepts one step either
// side, so tests enrol with the current step and then use the next one: a step boundary
// between generating and checking a code never pushes it out of the window.
async function codeAt(secret: string, offsetSteps = 0): Promise<string> {
  return generate({ secret, epoch: Math.floor(Date.now() / 1000) + offsetSteps * 30 });
}

describe('auth: TOTP multi-factor authentication', () => {
  let t: TestApp;
  let db: DataSource;

  beforeAll(async () => {
    t = await createTestApp({ env: { AUTH_RATE_LIMIT_PER_MINUTE: '1000' } });
    db = t.app.get(DataSource);
  });
  afterAll(() => t.close());

  const post = (path: string, token: string, body: object = {}) =>
    t.http().post(`/api/v1/auth/mfa/${path}`).set(authHeader(token)).send(body);

  async function enrol(s: SignedIn): Promise<{ secret: string; recoveryCodes: string[] }> {
    const setup = await post('setup', s.accessToken).expect(200);
    expect(setup.body.otpauthUrl).toMatch(/^otpauth:\/\/totp\/Hekim:/);
    expect(setup.body.otpauthUrl).toContain(`secret=${setup.body.secret}`);
    const enable = await post('enable', s.accessToken, {
      otp: await codeAt(setup.body.secret, 0),
    }).expect(200);
    return { secret: setup.body.secret as string, recoveryCodes: enable.body.recoveryCodes };
  }

  it('enrols, then login needs a code; codes cannot be replayed; recovery codes work once', async () => {
    const s = await signIn(t, Role.Patient);
    const { secret, recoveryCodes } = await enrol(s);
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    const me = await t.http().get('/api/v1/users/me').set(authHeader(s.accessToken)).expect(200);
    expect(me.body.mfaEnabled).toBe(true);

    // Stored hashed and encrypted: neither the secret nor a recovery code is in the database.
    const dump = JSON.stringify(
      await db.query('SELECT * FROM auth_mfa m, auth_recovery_codes r WHERE m.user_id = $1', [
        s.user.id,
      ]),
    );
    expect(dump).not.toContain(secret);
    for (const code of recoveryCodes) expect(dump).not.toContain(code);

    const noOtp = await t
      .http()
      .post('/api/v1/auth/login')
      .send({ email: s.user.email, password: s.password })
      .expect(401);
    expect(noOtp.body.code).toBe('MFA_REQUIRED');

    const wrong = await t
      .http()
      .post('/api/v1/auth/login')
      .send({ email: s.user.email, password: s.password, otp: '000000' })
      .expect(401);
    expect(wrong.body.code).toBe('UNAUTHORIZED');

    const code = await codeAt(secret, 1);
    const ok = await login(t, s.user.email, s.password, code);
    expect(ok.accessToken).toEqual(expect.any(String));
    // The same code again, inside its window: a replay.
    const replay = await t
      .http()
      .post('/api/v1/auth/login')
      .send({ email: s.user.email, password: s.password, otp: code })
      .expect(401);
    expect(replay.body.code).toBe('UNAUTHORIZED');

    await login(t, s.user.email, s.password, recoveryCodes[0].toUpperCase());
    await t
      .http()
      .post('/api/v1/auth/login')
      .send({ email: s.user.email, password: s.password, otp: recoveryCodes[0] })
      .expect(401);

    const audit = await db.query<{ action: string; outcome: string }[]>(
      `SELECT action, outcome FROM audit_events WHERE subject_id = $1 ORDER BY seq`,
      [s.user.id],
    );
    expect(audit.map((a) => `${a.action}:${a.outcome}`)).toEqual(
      expect.arrayContaining(['auth.mfa_setup:success', 'auth.mfa_enable:success']),
    );
  });

  it('refuses a wrong code at enable and setup when already enabled, and disables with a code', async () => {
    const s = await signIn(t, Role.Patient);
    await post('enable', s.accessToken, { otp: '123456' }).expect(409);
    const setup = await post('setup', s.accessToken).expect(200);
    const bad = await post('enable', s.accessToken, { otp: '000000' }).expect(400);
    expect(bad.body.code).toBe('VALIDATION_FAILED');
    await post('enable', s.accessToken, { otp: await codeAt(setup.body.secret, 0) }).expect(200);
    await post('setup', s.accessToken).expect(409);
    await post('enable', s.accessToken, { otp: '654321' }).expect(409);

    await post('disable', s.accessToken, { otp: '000000' }).expect(400);
    await post('disable', s.accessToken, { otp: await codeAt(setup.body.secret, 1) }).expect(204);
    await post('disable', s.accessToken, { otp: '123456' }).expect(409);
    await login(t, s.user.email, s.password);
  });

  it('rejects malformed codes at validation', async () => {
    const s = await signIn(t, Role.Patient);
    const res = await post('enable', s.accessToken, { otp: '12ab' }).expect(400);
    expect(res.body.code).toBe('VALIDATION_FAILED');
  });
});

describe('auth: MFA_REQUIRED_ROLES', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({
      env: { MFA_REQUIRED_ROLES: 'doctor,admin', AUTH_RATE_LIMIT_PER_MINUTE: '1000' },
    });
  });
  afterAll(() => t.close());

  it('keeps an unenrolled doctor to the enrollment routes until enrolled', async () => {
    const doctor = await createUser(t, { role: Role.Doctor });
    const first = await login(t, doctor.email, doctor.password);
    const blocked = await t
      .http()
      .get('/api/v1/users/me')
      .set(authHeader(first.accessToken))
      .expect(403);
    expect(blocked.body.code).toBe('MFA_REQUIRED');
    await t.http().get('/api/v1/auth/sessions').set(authHeader(first.accessToken)).expect(403);

    const setup = await t
      .http()
      .post('/api/v1/auth/mfa/setup')
      .set(authHeader(first.accessToken))
      .expect(200);
    await t
      .http()
      .post('/api/v1/auth/mfa/enable')
      .set(authHeader(first.accessToken))
      .send({ otp: await codeAt(setup.body.secret, 0) })
      .expect(200);

    // A refreshed token carries the enrollment.
    const refreshed = await t
      .http()
      .post('/api/v1/auth/refresh')
      .send({ refreshToken: first.refreshToken })
      .expect(200);
    await t.http().get('/api/v1/users/me').set(authHeader(refreshed.body.accessToken)).expect(200);

    // MFA cannot be turned off for a role that requires it.
    const off = await t
      .http()
      .post('/api/v1/auth/mfa/disable')
      .set(authHeader(refreshed.body.accessToken))
      .send({ otp: await codeAt(setup.body.secret, 1) })
      .expect(403);
    expect(off.body.code).toBe('FORBIDDEN');

    // Patients are not concerned.
    const patient = await signIn(t, Role.Patient);
    await t.http().get('/api/v1/users/me').set(authHeader(patient.accessToken)).expect(200);
  });
});
