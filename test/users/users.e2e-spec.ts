import { DataSource } from 'typeorm';
import { Role } from '../../src/common/auth/role';
import {
  authHeader,
  createUser,
  login,
  signIn,
  strongPassword,
  uniqueEmail,
  type SignedIn,
} from '../support/auth';
import { createTestApp, type TestApp } from '../support/test-app';

describe('users endpoints', () => {
  let t: TestApp;
  let db: DataSource;
  let admin: SignedIn;

  beforeAll(async () => {
    t = await createTestApp({ env: { AUTH_RATE_LIMIT_PER_MINUTE: '1000' } });
    db = t.app.get(DataSource);
    admin = await signIn(t, Role.Admin);
  });
  afterAll(() => t.close());

  const as = (s: SignedIn) => ({
    get: (path: string) => t.http().get(`/api/v1${path}`).set(authHeader(s.accessToken)),
    post: (path: string, body: object) =>
      t.http().post(`/api/v1${path}`).set(authHeader(s.accessToken)).send(body),
    patch: (path: string, body: object) =>
      t.http().patch(`/api/v1${path}`).set(authHeader(s.accessToken)).send(body),
    delete: (path: string) => t.http().delete(`/api/v1${path}`).set(authHeader(s.accessToken)),
  });
  const actionsOn = async (subjectId: string) =>
    (
      await db.query<{ action: string; outcome: string }[]>(
        'SELECT action, outcome FROM audit_events WHERE subject_id = $1 ORDER BY seq',
        [subjectId],
      )
    ).map((r) => `${r.action}:${r.outcome}`);

  it('lets an admin create clinicians and officers, and refuses a taken e-mail', async () => {
    const email = uniqueEmail('doctor');
    const res = await as(admin)
      .post('/users', {
        email,
        password: strongPassword(),
        displayName: 'Dr. Demir',
        role: 'doctor',
      })
      .expect(201);
    expect(res.body).toMatchObject({ email, role: 'doctor', status: 'active', mfaEnabled: false });
    expect(Object.keys(res.body).sort()).toEqual(
      ['createdAt', 'displayName', 'email', 'id', 'locale', 'mfaEnabled', 'role', 'status'].sort(),
    );
    const dup = await as(admin)
      .post('/users', { email, password: strongPassword(), displayName: 'X', role: 'patient' })
      .expect(409);
    expect(dup.body.code).toBe('CONFLICT');
    const other = uniqueEmail('nurse');
    const weak = await as(admin)
      .post('/users', { email: other, password: other, displayName: 'X', role: 'patient' })
      .expect(400);
    expect(weak.body.code).toBe('VALIDATION_FAILED');
    expect(await actionsOn(res.body.id)).toContain('user.create:success');
  });

  it('PATCH /users/me changes the display name and rejects role, status and unknown fields', async () => {
    const p = await signIn(t, Role.Patient);
    const ok = await as(p).patch('/users/me', { displayName: 'Yeni Ad' }).expect(200);
    expect(ok.body.displayName).toBe('Yeni Ad');
    for (const body of [
      { role: 'admin' },
      { status: 'deactivated' },
      { isAdmin: true },
      { displayName: 'a\u0000b' },
      { locale: 'de' },
      { locale: null },
    ]) {
      const res = await as(p).patch('/users/me', body).expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
    }
    expect((await as(p).get('/users/me').expect(200)).body.role).toBe('patient');
  });

  it('PATCH /users/me sets the language of the messages Hekim sends', async () => {
    const p = await signIn(t, Role.Patient);
    expect((await as(p).get('/users/me').expect(200)).body.locale).toBeNull();
    const en = await as(p).patch('/users/me', { locale: 'en' }).expect(200);
    expect(en.body).toMatchObject({ locale: 'en', displayName: p.user.displayName });
    const both = await as(p).patch('/users/me', { locale: 'tr', displayName: 'Ayşe' }).expect(200);
    expect(both.body).toMatchObject({ locale: 'tr', displayName: 'Ayşe' });
    expect((await as(p).get('/users/me').expect(200)).body).toMatchObject({
      locale: 'tr',
      displayName: 'Ayşe',
    });
    expect(await actionsOn(p.user.id)).toContain('user.profile_update:success');
  });

  it('lists and searches users for admins with cursor pagination', async () => {
    const tag = `srch${Date.now()}`;
    for (let i = 0; i < 3; i++) {
      await createUser(t, { role: Role.Patient, displayName: `${tag} patient ${i}` });
    }
    const page1 = await as(admin).get(`/users?q=${tag}&role=patient&limit=2`).expect(200);
    expect(page1.body.items).toHaveLength(2);
    expect(page1.body.nextCursor).toEqual(expect.any(String));
    const page2 = await as(admin)
      .get(`/users?q=${tag}&role=patient&limit=2&cursor=${page1.body.nextCursor}`)
      .expect(200);
    expect(page2.body.items).toHaveLength(1);
    expect(page2.body.nextCursor).toBeNull();
    const ids = [...page1.body.items, ...page2.body.items].map((u: { id: string }) => u.id);
    expect(new Set(ids).size).toBe(3);
    await as(admin).get('/users?limit=500').expect(400);
    await as(admin).get('/users?cursor=bm90LWEtdXVpZA').expect(400);
    await as(admin).get('/users?q=%25').expect(200);
  });

  it('shows doctors only patients they share a room with (none until rooms exist)', async () => {
    const d = await signIn(t, Role.Doctor);
    const res = await as(d).get('/users').expect(200);
    expect(res.body).toEqual({ items: [], nextCursor: null });
    expect((await as(d).get('/users?role=admin').expect(200)).body.items).toEqual([]);
  });

  it('lets people read themselves, admins read anyone, and hides others behind 404', async () => {
    const p = await signIn(t, Role.Patient);
    const other = await signIn(t, Role.Patient);
    await as(p).get(`/users/${p.user.id}`).expect(200);
    const hidden = await as(p).get(`/users/${other.user.id}`).expect(404);
    const missing = await as(p).get('/users/0b1e0d62-7d4c-4a59-9c43-2f0b8f0d0e11').expect(404);
    expect(hidden.body.detail).toBe(missing.body.detail);
    await as(admin).get(`/users/${other.user.id}`).expect(200);
    await as(admin).get('/users/0b1e0d62-7d4c-4a59-9c43-2f0b8f0d0e11').expect(404);
    await as(admin).get('/users/not-a-uuid').expect(400);
    expect(await actionsOn(other.user.id)).toEqual(expect.arrayContaining(['user.read:success']));
    const denied = await db.query<{ outcome: string }[]>(
      `SELECT outcome FROM audit_events WHERE action = 'user.read' AND resource_id = $1 AND actor_user_id = $2`,
      [other.user.id, p.user.id],
    );
    expect(denied.map((r) => r.outcome)).toEqual(['denied']);
  });

  it('changes a role (ending the user’s sessions) and deactivates a user at once', async () => {
    const u = await signIn(t, Role.Patient);
    const changed = await as(admin).patch(`/users/${u.user.id}`, { role: 'doctor' }).expect(200);
    expect(changed.body.role).toBe('doctor');
    await as(u).get('/users/me').expect(401);
    const relogged = await login(t, u.user.email, u.password);
    await t.http().get('/api/v1/users/me').set(authHeader(relogged.accessToken)).expect(200);

    await as(admin).delete(`/users/${u.user.id}`).expect(204);
    await t.http().get('/api/v1/users/me').set(authHeader(relogged.accessToken)).expect(401);
    await t
      .http()
      .post('/api/v1/auth/refresh')
      .send({ refreshToken: relogged.refreshToken })
      .expect(401);
    const again = await t
      .http()
      .post('/api/v1/auth/login')
      .send({ email: u.user.email, password: u.password })
      .expect(401);
    expect(again.body.code).toBe('UNAUTHORIZED');
    expect((await as(admin).get(`/users/${u.user.id}`).expect(200)).body.status).toBe(
      'deactivated',
    );
    // Reactivation is a status change too.
    await as(admin).patch(`/users/${u.user.id}`, { status: 'active' }).expect(200);
    await login(t, u.user.email, u.password);
    await as(admin).patch(`/users/${u.user.id}`, {}).expect(200);

    expect(await actionsOn(u.user.id)).toEqual(
      expect.arrayContaining(['user.update:success', 'user.deactivate:success']),
    );
    await as(admin)
      .patch('/users/0b1e0d62-7d4c-4a59-9c43-2f0b8f0d0e11', { role: 'doctor' })
      .expect(404);
    await as(admin).patch(`/users/${u.user.id}`, { role: 'root' }).expect(400);
  });

  it('audits a refusal by role', async () => {
    const p = await signIn(t, Role.Patient);
    await as(p).get('/users').expect(403);
    const rows = await db.query<{ outcome: string; resource_id: string; details: object }[]>(
      `SELECT outcome, resource_id, details FROM audit_events WHERE action = 'access.denied' AND actor_user_id = $1`,
      [p.user.id],
    );
    expect(rows).toEqual([
      {
        outcome: 'denied',
        resource_id: 'GET /api/v1/users',
        details: { reason: 'role', status: 403 },
      },
    ]);
  });

  it('does not let an admin change their own role or status', async () => {
    const res = await as(admin).patch(`/users/${admin.user.id}`, { role: 'patient' }).expect(403);
    expect(res.body.code).toBe('FORBIDDEN');
    await as(admin).delete(`/users/${admin.user.id}`).expect(403);
  });

  it('answers registration of a taken e-mail like any other, and tells the owner', async () => {
    const owner = await createUser(t, { role: Role.Doctor });
    const res = await t
      .http()
      .post('/api/v1/auth/register')
      .send({ email: owner.email, password: strongPassword(), displayName: 'Someone' })
      .expect(201);
    expect(res.body.user.id).not.toBe(owner.id);
    expect(res.body.user.role).toBe('patient');
    const rows = await db.query<{ kind: string }[]>(
      'SELECT kind FROM notification_outbox WHERE recipient = $1',
      [owner.email],
    );
    expect(rows.map((r) => r.kind)).toEqual(['account_exists']);
    // The owner's account is untouched.
    await login(t, owner.email, owner.password);
    const weak = await t
      .http()
      .post('/api/v1/auth/register')
      .send({ email: owner.email, password: 'password1234', displayName: 'Someone' })
      .expect(400);
    expect(weak.body.code).toBe('VALIDATION_FAILED');
  });
});
