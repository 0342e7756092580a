import { Role } from '../../src/common/auth/role';
import { authHeader, createUser, signIn, strongPassword, uniqueEmail } from '../support/auth';
import { createTestApp, type TestApp } from '../support/test-app';

describe('auth: register, login, me', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('registers a patient, signs in and reads /users/me', async () => {
    const email = uniqueEmail('patient');
    const password = strongPassword();
    const reg = await t
      .http()
      .post('/api/v1/auth/register')
      .send({ email, password, displayName: 'Ayşe Yılmaz' })
      .expect(201);
    expect(reg.body.user).toEqual({
      id: expect.any(String),
      email,
      displayName: 'Ayşe Yılmaz',
      role: 'patient',
      status: 'active',
      mfaEnabled: false,
      locale: null,
      createdAt: expect.any(String),
    });

    const login = await t.http().post('/api/v1/auth/login').send({ email, password }).expect(200);
    expect(login.body).toEqual({
      accessToken: expect.any(String),
      refreshToken: expect.any(String),
      tokenType: 'Bearer',
      expiresIn: 900,
      user: reg.body.user,
    });
    const me = await t
      .http()
      .get('/api/v1/users/me')
      .set(authHeader(login.body.accessToken))
      .expect(200);
    expect(me.body).toEqual(reg.body.user);
    expect(JSON.stringify(me.body)).not.toMatch(/hash|secret/i);
  });

  it('refuses a role in self-registration', async () => {
    const res = await t
      .http()
      .post('/api/v1/auth/register')
      .send({ email: uniqueEmail(), password: strongPassword(), displayName: 'X', role: 'admin' })
      .expect(400);
    expect(res.body.code).toBe('VALIDATION_FAILED');
  });

  it('signs in users of every role through the test helper', async () => {
    for (const role of [Role.Patient, Role.Doctor, Role.Admin, Role.ComplianceOfficer]) {
      const s = await signIn(t, role);
      const me = await t.http().get('/api/v1/users/me').set(authHeader(s.accessToken)).expect(200);
      expect(me.body).toMatchObject({ id: s.user.id, role, email: s.user.email });
    }
  });

  it('answers a wrong password and an unknown e-mail the same way', async () => {
    const u = await createUser(t, { role: Role.Patient });
    const wrong = await t
      .http()
      .post('/api/v1/auth/login')
      .send({ email: u.email, password: 'not the password at all' })
      .expect(401);
    const unknown = await t
      .http()
      .post('/api/v1/auth/login')
      .send({ email: uniqueEmail(), password: 'not the password at all' })
      .expect(401);
    const strip = (b: Record<string, unknown>) => ({ ...b, requestId: undefined });
    expect(strip(wrong.body)).toEqual(strip(unknown.body));
    expect(wrong.body.code).toBe('UNAUTHORIZED');
  });

  it('requires a token on protected routes', async () => {
    const res = await t.http().get('/api/v1/users/me').expect(401);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.body.code).toBe('UNAUTHORIZED');
  });
});

describe('auth: the bootstrapped first admin', () => {
  it('signs in with ADMIN_EMAIL and ADMIN_PASSWORD and may create clinicians', async () => {
    const password = strongPassword();
    const t = await createTestApp({
      env: { ADMIN_EMAIL: 'First.Admin@Example.test', ADMIN_PASSWORD: password },
    });
    try {
      const res = await t
        .http()
        .post('/api/v1/auth/login')
        .send({ email: 'first.admin@example.test', password })
        .expect(200);
      expect(res.body.user).toMatchObject({ role: 'admin', email: 'first.admin@example.test' });
      await t
        .http()
        .post('/api/v1/users')
        .set(authHeader(res.body.accessToken))
        .send({
          email: uniqueEmail(),
          password: strongPassword(),
          displayName: 'Dr. A',
          role: 'doctor',
        })
        .expect(201);
    } finally {
      await t.close();
    }
  });
});
