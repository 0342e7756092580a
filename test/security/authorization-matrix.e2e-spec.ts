import { generate } from 'otplib';
import { DataSource } from 'typeorm';
import { Role } from '../../src/common/auth/role';
import { newOpaqueToken, sha256Hex } from '../../src/modules/auth/tokens/opaque-token';
import { authHeader, createUser, signIn, strongPassword, uniqueEmail } from '../support/auth';
import {
  type Caller,
  CALLERS,
  coveredRoutes,
  EVERY_ROLE,
  expectAccess,
  type MatrixCase,
  routesOf,
} from '../support/authorization-matrix';
import { createTestApp, type TestApp } from '../support/test-app';

const EVERYONE: Caller[] = CALLERS;
// Anonymous callers get no secret from setup; any well-formed one makes their request valid.
const ANONYMOUS_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

interface Ctx {
  // Bearer header of a fresh signed-in user of the caller's role (none for anonymous).
  auth: Record<string, string>;
  userId: string | undefined;
  sessionId: string | undefined;
}

type Case = MatrixCase<Ctx>;

// Every Auth and Users route, called by each kind of caller with a request that would
// succeed if the caller is allowed. The callers that get a 2xx must be exactly `allowed`;
// everybody else is refused (401 anonymous, 403 wrong role, 404 record-level).
describe('security: authorization matrix for Auth and Users', () => {
  let t: TestApp;
  let db: DataSource;

  beforeAll(async () => {
    t = await createTestApp({ env: { AUTH_RATE_LIMIT_PER_MINUTE: '10000' } });
    db = t.app.get(DataSource);
  });
  afterAll(() => t.close());

  const http = () => t.http();
  const code = (secret: string, steps: number) =>
    generate({ secret, epoch: Math.floor(Date.now() / 1000) + steps * 30 });
  async function freshPatient(): Promise<{ id: string; email: string; password: string }> {
    return createUser(t, { role: Role.Patient });
  }

  const cases: Case[] = [
    {
      route: 'POST /auth/register',
      allowed: EVERYONE,
      call: (c) =>
        http()
          .post('/api/v1/auth/register')
          .set(c.auth)
          .send({ email: uniqueEmail(), password: strongPassword(), displayName: 'New' }),
    },
    {
      route: 'POST /auth/login',
      allowed: EVERYONE,
      call: async (c) => {
        const u = await freshPatient();
        return http()
          .post('/api/v1/auth/login')
          .set(c.auth)
          .send({ email: u.email, password: u.password });
      },
    },
    {
      route: 'POST /auth/refresh',
      allowed: EVERYONE,
      call: async (c) => {
        const s = await signIn(t, Role.Patient);
        return http()
          .post('/api/v1/auth/refresh')
          .set(c.auth)
          .send({ refreshToken: s.refreshToken });
      },
    },
    {
      route: 'POST /auth/logout',
      allowed: EVERY_ROLE,
      call: (c) => http().post('/api/v1/auth/logout').set(c.auth).send({}),
    },
    {
      route: 'GET /auth/sessions',
      allowed: EVERY_ROLE,
      call: (c) => http().get('/api/v1/auth/sessions').set(c.auth),
    },
    {
      route: 'DELETE /auth/sessions/:id (own)',
      allowed: EVERY_ROLE,
      call: (c) =>
        http()
          .delete(`/api/v1/auth/sessions/${c.sessionId ?? '0b1e0d62-7d4c-4a59-9c43-2f0b8f0d0e11'}`)
          .set(c.auth),
    },
    {
      route: 'DELETE /auth/sessions/:id (another user’s)',
      allowed: [],
      call: async (c) => {
        const other = await signIn(t, Role.Patient);
        const [row] = await db.query<{ id: string }[]>(
          'SELECT id FROM auth_sessions WHERE user_id = $1',
          [other.user.id],
        );
        return http().delete(`/api/v1/auth/sessions/${row.id}`).set(c.auth);
      },
    },
    {
      route: 'POST /auth/mfa/setup',
      allowed: EVERY_ROLE,
      call: (c) => http().post('/api/v1/auth/mfa/setup').set(c.auth),
    },
    {
      route: 'POST /auth/mfa/enable',
      allowed: EVERY_ROLE,
      call: async (c) => {
        const setup = await http().post('/api/v1/auth/mfa/setup').set(c.auth);
        const secret = (setup.body as { secret?: string }).secret ?? ANONYMOUS_SECRET;
        return http()
          .post('/api/v1/auth/mfa/enable')
          .set(c.auth)
          .send({ otp: await code(secret, 0) });
      },
    },
    {
      route: 'POST /auth/mfa/disable',
      allowed: EVERY_ROLE,
      call: async (c) => {
        const setup = await http().post('/api/v1/auth/mfa/setup').set(c.auth);
        const secret = (setup.body as { secret?: string }).secret ?? ANONYMOUS_SECRET;
        await http()
          .post('/api/v1/auth/mfa/enable')
          .set(c.auth)
          .send({ otp: await code(secret, 0) });
        return http()
          .post('/api/v1/auth/mfa/disable')
          .set(c.auth)
          .send({ otp: await code(secret, 1) });
      },
    },
    {
      route: 'POST /auth/password/forgot',
      allowed: EVERYONE,
      call: (c) =>
        http().post('/api/v1/auth/password/forgot').set(c.auth).send({ email: uniqueEmail() }),
    },
    {
      route: 'POST /auth/email/verify',
      allowed: EVERYONE,
      call: async (c) => {
        // A verification link of a fresh account, as the verification mail carries it.
        const u = await freshPatient();
        const token = newOpaqueToken();
        await db.query(
          `INSERT INTO auth_single_use_tokens (user_id, purpose, token_hash, expires_at)
           VALUES ($1, 'email_verification', $2, now() + interval '1 hour')`,
          [u.id, sha256Hex(token)],
        );
        return http().post('/api/v1/auth/email/verify').set(c.auth).send({ token });
      },
    },
    {
      route: 'POST /auth/password/reset',
      allowed: EVERYONE,
      call: async (c) => {
        const u = await freshPatient();
        await http().post('/api/v1/auth/password/forgot').send({ email: u.email }).expect(202);
        const [row] = await db.query<{ payload: { token: string } }[]>(
          'SELECT payload FROM notification_outbox WHERE recipient = $1',
          [u.email],
        );
        return http()
          .post('/api/v1/auth/password/reset')
          .set(c.auth)
          .send({ token: row.payload.token, newPassword: strongPassword() });
      },
    },
    {
      route: 'GET /users/me',
      allowed: EVERY_ROLE,
      call: (c) => http().get('/api/v1/users/me').set(c.auth),
    },
    {
      route: 'PATCH /users/me',
      allowed: EVERY_ROLE,
      call: (c) => http().patch('/api/v1/users/me').set(c.auth).send({ displayName: 'Renamed' }),
    },
    {
      route: 'POST /users',
      allowed: [Role.Admin],
      call: (c) =>
        http().post('/api/v1/users').set(c.auth).send({
          email: uniqueEmail(),
          password: strongPassword(),
          displayName: 'Dr. X',
          role: 'doctor',
        }),
    },
    {
      route: 'GET /users',
      allowed: [Role.Admin, Role.Doctor],
      call: (c) => http().get('/api/v1/users').set(c.auth),
    },
    {
      route: 'GET /users/:id (self)',
      allowed: EVERY_ROLE,
      call: (c) =>
        http()
          .get(`/api/v1/users/${c.userId ?? '0b1e0d62-7d4c-4a59-9c43-2f0b8f0d0e11'}`)
          .set(c.auth),
    },
    {
      route: 'GET /users/:id (another user)',
      allowed: [Role.Admin],
      call: async (c) =>
        http()
          .get(`/api/v1/users/${(await freshPatient()).id}`)
          .set(c.auth),
    },
    {
      route: 'PATCH /users/:id',
      allowed: [Role.Admin],
      call: async (c) =>
        http()
          .patch(`/api/v1/users/${(await freshPatient()).id}`)
          .set(c.auth)
          .send({ role: 'doctor' }),
    },
    {
      route: 'DELETE /users/:id',
      allowed: [Role.Admin],
      call: async (c) =>
        http()
          .delete(`/api/v1/users/${(await freshPatient()).id}`)
          .set(c.auth),
    },
  ];

  async function contextFor(caller: Caller): Promise<Ctx> {
    if (caller === 'anonymous') return { auth: {}, userId: undefined, sessionId: undefined };
    const s = await signIn(t, caller);
    const claims = JSON.parse(Buffer.from(s.accessToken.split('.')[1], 'base64url').toString()) as {
      sid: string;
    };
    return { auth: authHeader(s.accessToken), userId: s.user.id, sessionId: claims.sid };
  }

  it.each(cases.map((c) => [c.route, c] as const))('%s', (_route, testCase) =>
    expectAccess(testCase, contextFor),
  );

  it('covers every Auth and Users route of the app', () => {
    // The routes of the identity controllers (other modules' routes under /users, such as the
    // KVKK data export, are covered by their own matrices).
    const routes = routesOf(t.app, /^(AuthController|UsersController)\./);
    expect(routes.length).toBeGreaterThanOrEqual(18);
    expect(coveredRoutes(cases)).toEqual(routes);
  });
});
