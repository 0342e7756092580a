import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Role } from '../../src/common/auth/role';
import { bookSoon } from '../support/appointments';
import { authHeader, signIn } from '../support/auth';
import { listRoutes } from '../support/routes';
import { createTestApp, type TestApp } from '../support/test-app';

// A guest grant (docs/auth.md, "Guest grant") is refused by every route that does not name
// guests, default deny: a new route is closed to guests unless it says otherwise. The list of
// routes open to guests is a permission declaration: a diff here is a permission change.
const OPEN_TO_GUESTS = [
  'DELETE /api/v1/consents/:purpose',
  'GET    /api/v1/attachments/:id',
  'GET    /api/v1/consents/me',
  'GET    /api/v1/consents/texts',
  'GET    /api/v1/ice-servers',
  'GET    /api/v1/rooms/:id/chat',
  'GET    /api/v1/rooms/:id/messages',
  'POST   /api/v1/appointments/:id/check-in',
  'POST   /api/v1/consents',
  'POST   /api/v1/rooms/:id/attachments',
];

describe('security: the guest grant reaches only the routes that name guests', () => {
  let t: TestApp;
  let guestToken: string;

  beforeAll(async () => {
    t = await createTestApp({ env: { AUTH_RATE_LIMIT_PER_MINUTE: '1000' } });
    const doctor = await signIn(t, Role.Doctor);
    const patient = await signIn(t, Role.Patient);
    const appointment = await bookSoon(t, doctor, patient, 5);
    await t
      .http()
      .post(`/api/v1/appointments/${appointment.id}/invitations`)
      .set(authHeader(doctor.accessToken))
      .send({ role: 'guest', name: 'Guest', email: 'guest-grant@example.org' })
      .expect(201);
    // The relay is off in tests: the link's token is still in its queued message.
    const [message] = await t.app
      .get(DataSource)
      .query<{ payload: { token: string } }[]>(
        `SELECT payload FROM notification_outbox WHERE kind = 'invitation' AND recipient = $1`,
        ['guest-grant@example.org'],
      );
    const redeemed = await t
      .http()
      .post('/api/v1/invitations/redeem')
      .send({ token: message.payload.token })
      .expect(200);
    guestToken = (redeemed.body as { accessToken: string }).accessToken;
  });
  afterAll(() => t.close());

  it('names guests on exactly these routes', () => {
    const open = listRoutes(t.app)
      .filter((r) => r.access !== 'public' && r.access !== 'undeclared')
      .filter((r) => (r.access as readonly Role[]).includes(Role.Guest))
      .map((r) => `${r.method.padEnd(6)} ${r.path}`)
      .sort();
    expect(open).toEqual(OPEN_TO_GUESTS);
  });

  it('answers 403 to a guest on every other protected route', async () => {
    const closed = listRoutes(t.app).filter(
      (r) =>
        r.access !== 'public' &&
        !(r.access as readonly Role[]).includes(Role.Guest) &&
        r.path.startsWith('/api/v1/'),
    );
    expect(closed.length).toBeGreaterThan(50);
    const wrong: string[] = [];
    for (const route of closed) {
      const path = route.path.replace(/:[A-Za-z]+/g, randomUUID());
      const res = await t
        .http()
        [route.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete'](path)
        .set(authHeader(guestToken))
        .send({});
      if (res.status !== 403) wrong.push(`${route.method} ${route.path} → ${res.status}`);
    }
    expect(wrong).toEqual([]);
  });
});
