import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Role } from '../../src/common/auth/role';
import { generateSecrets } from '../../src/config/secrets';
import { authHeader, enrollMfa, signIn, totp } from '../support/auth';
import { type Client, connect, refusal, request } from '../support/signaling-client';
import { createTestApp, type TestApp } from '../support/test-app';

const MAX_SOCKETS = 3;

// Finding 9, the smaller holes: upper-case copies of UUIDs gave a 500; `__proto__` and
// `constructor` keys were dropped silently; one user could open any number of sockets;
// `forgot` and MFA codes were limited per address only; /docs and unauthenticated /metrics
// were on by default in production.
describe('security: input canonicalization and per-account limits', () => {
  let t: TestApp;
  const open: Client[] = [];

  beforeAll(async () => {
    t = await createTestApp({
      listen: true,
      env: {
        AUTH_RATE_LIMIT_PER_MINUTE: '10000',
        SIGNALING_MAX_SOCKETS_PER_USER: String(MAX_SOCKETS),
        CALL_INITIATE_RATE_PER_MINUTE: '1000',
      },
    });
  });
  afterAll(async () => {
    for (const s of open) s.close();
    await t.close();
  });

  it('treats upper-case UUIDs as the same ids: a duplicate is a 400, never a 500', async () => {
    const doctor = await signIn(t, Role.Doctor);
    const patient = await signIn(t, Role.Patient);
    const upper = patient.user.id.toUpperCase();
    const dup = await t
      .http()
      .post('/api/v1/rooms')
      .set(authHeader(doctor.accessToken))
      .send({ name: 'Dup', type: 'group', memberIds: [patient.user.id, upper] });
    expect({ status: dup.status, code: dup.body.code }).toEqual({
      status: 400,
      code: 'VALIDATION_FAILED',
    });
    const created = await t
      .http()
      .post('/api/v1/rooms')
      .set(authHeader(doctor.accessToken))
      .send({ name: 'Upper', type: 'consultation', memberIds: [upper] })
      .expect(201);
    expect(created.body.members.map((m: { userId: string }) => m.userId)).toContain(
      patient.user.id,
    );
    const roomPath = `/api/v1/rooms/${(created.body.id as string).toUpperCase()}`;
    const room = await t.http().get(roomPath).set(authHeader(doctor.accessToken)).expect(200);
    expect(room.body.id).toBe(created.body.id);
    await t.http().post(`${roomPath}/accept`).set(authHeader(patient.accessToken)).expect(200);

    const call = await t
      .http()
      .post('/api/v1/calls')
      .set(authHeader(doctor.accessToken))
      .send({ calleeIds: [patient.user.id, upper], type: 'audio' });
    expect({ status: call.status, code: call.body.code }).toEqual({
      status: 400,
      code: 'VALIDATION_FAILED',
    });
    const me = await t
      .http()
      .get(`/api/v1/users/${doctor.user.id.toUpperCase()}`)
      .set(authHeader(doctor.accessToken))
      .expect(200);
    expect(me.body.id).toBe(doctor.user.id);
  });

  it.each(['__proto__', 'constructor', 'prototype'])(
    'refuses a body with a %s key, on REST and sockets',
    async (key) => {
      const doctor = await signIn(t, Role.Doctor);
      const body = `{"name":"X","type":"consultation","memberIds":[],"${key}":{"isAdmin":true}}`;
      const res = await t
        .http()
        .post('/api/v1/rooms')
        .set(authHeader(doctor.accessToken))
        .set('Content-Type', 'application/json')
        .send(body);
      expect({ status: res.status, code: res.body.code }).toEqual({
        status: 400,
        code: 'VALIDATION_FAILED',
      });
      const nested = await t
        .http()
        .patch('/api/v1/users/me')
        .set(authHeader(doctor.accessToken))
        .set('Content-Type', 'application/json')
        .send(`{"displayName":"Y","x":{"${key}":{"polluted":true}}}`);
      expect(nested.status).toBe(400);

      const socket = await connect(t, { token: doctor.accessToken });
      open.push(socket);
      const ack = await request(
        socket,
        'room:join',
        JSON.parse(`{"roomId":"${doctor.user.id}","${key}":{"a":1}}`),
      );
      expect(ack.error?.code).toBe('VALIDATION_FAILED');
      socket.close();
    },
  );

  it(`refuses the socket after SIGNALING_MAX_SOCKETS_PER_USER (${MAX_SOCKETS}) with RATE_LIMITED`, async () => {
    const patient = await signIn(t, Role.Patient);
    const sockets: Client[] = [];
    for (let i = 0; i < MAX_SOCKETS; i++)
      sockets.push(await connect(t, { token: patient.accessToken }));
    open.push(...sockets);
    expect(await refusal(t, { token: patient.accessToken })).toBe('RATE_LIMITED');
    // Another user is not affected; a closed socket frees its place.
    expect(await refusal(t, { token: (await signIn(t, Role.Patient)).accessToken })).toBe(
      'CONNECTED',
    );
    sockets[0].close();
    let again = 'RATE_LIMITED';
    for (let i = 0; i < 50 && again !== 'CONNECTED'; i++) {
      again = await refusal(t, { token: patient.accessToken });
      if (again !== 'CONNECTED') await new Promise((r) => setTimeout(r, 50));
    }
    expect(again).toBe('CONNECTED');
  });

  it('limits password-reset requests per account', async () => {
    const patient = await signIn(t, Role.Patient);
    for (let i = 0; i < 8; i++)
      await t
        .http()
        .post('/api/v1/auth/password/forgot')
        .send({ email: patient.user.email })
        .expect(202);
    const rows = await t.app
      .get(DataSource)
      .query<unknown[]>(
        `SELECT id FROM auth_single_use_tokens WHERE user_id = $1 AND purpose = 'password_reset'`,
        [patient.user.id],
      );
    expect(rows).toHaveLength(3);
  });

  it('limits MFA codes per account: after five wrong codes even the right one is refused', async () => {
    const patient = await signIn(t, Role.Patient);
    const enrolled = await enrollMfa(t, patient);
    const disable = (otp: string) =>
      t.http().post('/api/v1/auth/mfa/disable').set(authHeader(enrolled.accessToken)).send({ otp });
    for (let i = 0; i < 5; i++) expect((await disable('000000')).status).toBe(400);
    const limited = await disable(await totp(enrolled.secret, 1));
    expect({ status: limited.status, code: limited.body.code }).toEqual({
      status: 429,
      code: 'RATE_LIMITED',
    });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('keeps /docs off and /metrics protected by default in production', async () => {
    const secrets = generateSecrets();
    const production = await createTestApp({
      env: {
        NODE_ENV: 'production',
        ...secrets,
        ADMIN_EMAIL: 'admin@hospital.example',
        ADMIN_PASSWORD: `Admin-${randomBytes(12).toString('base64url')}`,
      },
    });
    try {
      await production.http().get('/docs').expect(404);
      await production.http().get('/docs-json').expect(404);
      await production.http().get('/metrics').expect(404);
    } finally {
      await production.close();
    }
    const token = randomBytes(24).toString('base64url');
    const withToken = await createTestApp({
      env: {
        NODE_ENV: 'production',
        ...generateSecrets(),
        ADMIN_EMAIL: 'admin@hospital.example',
        ADMIN_PASSWORD: `Admin-${randomBytes(12).toString('base64url')}`,
        METRICS_TOKEN: token,
        DOCS_ENABLED: 'true',
      },
    });
    try {
      await withToken.http().get('/metrics').expect(401);
      await withToken.http().get('/metrics').set(authHeader(token)).expect(200);
      await withToken.http().get('/docs-json').expect(200);
    } finally {
      await withToken.close();
    }
  });
});
