import { DataSource } from 'typeorm';
import { Role } from '../../src/common/auth/role';
import { PersonalDataRegistry } from '../../src/common/personal-data/personal-data-registry';
import { authHeader, signIn, type SignedIn } from '../support/auth';
import {
  type Caller,
  coveredRoutes,
  EVERY_ROLE,
  expectAccess,
  type MatrixCase,
  routesOf,
} from '../support/authorization-matrix';
import { createTestApp, type TestApp } from '../support/test-app';

// A Berlin week with the clocks going forward (Sunday 2026-03-29): Saturday and Monday
// mornings, and an exception that closes the Monday after.
const BERLIN = {
  timezone: 'Europe/Berlin',
  slotMinutes: 30,
  weekly: [
    { weekday: 6, start: '09:00', end: '10:00' },
    { weekday: 1, start: '09:00', end: '10:00' },
  ],
  exceptions: [{ date: '2026-04-06' }],
};

describe('appointments: working hours and free slots (docs/appointments.md)', () => {
  let t: TestApp;
  let db: DataSource;

  beforeAll(async () => {
    t = await createTestApp({ env: { AUTH_RATE_LIMIT_PER_MINUTE: '1000' } });
    db = t.app.get(DataSource);
  });
  afterAll(() => t.close());

  const put = (who: SignedIn, body: object) =>
    t.http().put('/api/v1/clinicians/me/availability').set(authHeader(who.accessToken)).send(body);
  const slots = (who: SignedIn, clinicianId: string, from: string, to: string) =>
    t
      .http()
      .get(`/api/v1/clinicians/${clinicianId}/slots`)
      .query({ from, to })
      .set(authHeader(who.accessToken));

  it('stores a doctor’s hours and offers their slots across a change of the clocks', async () => {
    const doctor = await signIn(t, Role.Doctor);
    const patient = await signIn(t, Role.Patient);
    const stored = await put(doctor, BERLIN).expect(200);
    expect(stored.body).toMatchObject({ clinicianId: doctor.user.id, ...BERLIN });
    const mine = await t
      .http()
      .get('/api/v1/clinicians/me/availability')
      .set(authHeader(doctor.accessToken))
      .expect(200);
    expect(mine.body).toEqual(stored.body);

    // The test runs in December 2026: a window in the past has no slots; one in 2027 does.
    const past = await slots(
      patient,
      doctor.user.id,
      '2026-03-28T00:00:00Z',
      '2026-04-07T00:00:00Z',
    );
    expect(past.status).toBe(200);
    expect(past.body).toEqual({ items: [], nextCursor: null });

    // Sunday 2027-03-28 the clocks go forward: 09:00 is 08:00 UTC on Saturday the 27th and
    // 07:00 UTC on Monday the 29th.
    const spring = await slots(
      patient,
      doctor.user.id,
      '2027-03-27T00:00:00Z',
      '2027-03-30T00:00:00Z',
    ).expect(200);
    expect(spring.body).toEqual({
      items: [
        { start: '2027-03-27T08:00:00.000Z', end: '2027-03-27T08:30:00.000Z' },
        { start: '2027-03-27T08:30:00.000Z', end: '2027-03-27T09:00:00.000Z' },
        { start: '2027-03-29T07:00:00.000Z', end: '2027-03-29T07:30:00.000Z' },
        { start: '2027-03-29T07:30:00.000Z', end: '2027-03-29T08:00:00.000Z' },
      ],
      nextCursor: null,
    });

    const [audited] = await db.query<
      { action: string; actor_user_id: string; details: Record<string, unknown> }[]
    >(
      `SELECT action, actor_user_id, details FROM audit_events
        WHERE action = 'availability.update' AND actor_user_id = $1`,
      [doctor.user.id],
    );
    expect(audited.details).toEqual({
      timezone: 'Europe/Berlin',
      slotMinutes: 30,
      weeklyRanges: 2,
      exceptions: 1,
    });
  });

  it('replaces the hours as a whole and closes a day by exception', async () => {
    const doctor = await signIn(t, Role.Doctor);
    await put(doctor, BERLIN).expect(200);
    const istanbul = {
      timezone: 'Europe/Istanbul',
      slotMinutes: 20,
      weekly: [{ weekday: 2, start: '13:00', end: '14:00' }],
      exceptions: [{ date: '2027-01-12' }, { date: '2027-01-19', start: '08:00', end: '08:20' }],
    };
    await put(doctor, istanbul).expect(200);
    const res = await slots(
      doctor,
      doctor.user.id,
      '2027-01-11T00:00:00Z',
      '2027-01-21T00:00:00Z',
    ).expect(200);
    // Tuesday the 12th is off; the 19th has only its exception's slot (08:00 Istanbul).
    expect((res.body as { items: { start: string }[] }).items.map((s) => s.start)).toEqual([
      '2027-01-19T05:00:00.000Z',
    ]);
  });

  it('refuses unsound hours with the field at fault and keeps the old ones', async () => {
    const doctor = await signIn(t, Role.Doctor);
    await put(doctor, BERLIN).expect(200);
    const cases: [object, string][] = [
      [{ ...BERLIN, timezone: 'Europe/Atlantis' }, 'timezone'],
      [{ ...BERLIN, weekly: [{ weekday: 1, start: '10:00', end: '09:00' }] }, 'weekly[0]'],
      [
        { ...BERLIN, weekly: [...BERLIN.weekly, { weekday: 1, start: '09:30', end: '11:00' }] },
        'weekly[2]',
      ],
      [{ ...BERLIN, weekly: [{ weekday: 8, start: '09:00', end: '10:00' }] }, 'weekly.0.weekday'],
      [{ ...BERLIN, slotMinutes: 2 }, 'slotMinutes'],
      [{ ...BERLIN, exceptions: [{ date: '2027-02-30' }] }, 'exceptions[0].date'],
      [{ ...BERLIN, surprise: true }, 'surprise'],
    ];
    for (const [body, field] of cases) {
      const res = await put(doctor, body).expect(400);
      expect({ field, body: res.body as unknown }).toMatchObject({
        field,
        body: {
          code: 'VALIDATION_FAILED',
          errors: expect.arrayContaining([expect.objectContaining({ field })]),
        },
      });
    }
    const kept = await t
      .http()
      .get('/api/v1/clinicians/me/availability')
      .set(authHeader(doctor.accessToken))
      .expect(200);
    expect(kept.body).toMatchObject(BERLIN);
  });

  it('answers 404 for somebody who is not an active clinician and 400 for a bad window', async () => {
    const doctor = await signIn(t, Role.Doctor);
    const patient = await signIn(t, Role.Patient);
    await slots(patient, patient.user.id, '2027-01-01T00:00:00Z', '2027-01-02T00:00:00Z').expect(
      404,
    );
    await slots(
      patient,
      '00000000-0000-4000-8000-000000000000',
      '2027-01-01T00:00:00Z',
      '2027-01-02T00:00:00Z',
    ).expect(404);
    const backwards = await slots(
      patient,
      doctor.user.id,
      '2027-01-02T00:00:00Z',
      '2027-01-01T00:00:00Z',
    ).expect(400);
    expect(backwards.body).toMatchObject({
      errors: [{ field: 'to', messages: ['to must be after from'] }],
    });
    const long = await slots(
      patient,
      doctor.user.id,
      '2027-01-01T00:00:00Z',
      '2027-02-02T00:00:00Z',
    ).expect(400);
    expect(long.body).toMatchObject({ errors: [{ field: 'to' }] });
    await slots(patient, doctor.user.id, 'tomorrow', '2027-01-01T00:00:00Z').expect(400);
    // A doctor without hours has no slots, and no hours to show.
    await slots(patient, doctor.user.id, '2027-01-01T00:00:00Z', '2027-01-02T00:00:00Z')
      .expect(200)
      .expect({ items: [], nextCursor: null });
    await t
      .http()
      .get('/api/v1/clinicians/me/availability')
      .set(authHeader(doctor.accessToken))
      .expect(404);
  });

  it('is part of the clinician’s data export, and erasure deletes it', async () => {
    const doctor = await signIn(t, Role.Doctor);
    await put(doctor, BERLIN).expect(200);
    const exported = await t
      .http()
      .get('/api/v1/users/me/data-export')
      .set(authHeader(doctor.accessToken))
      .expect(200);
    const sections = (exported.body as { sections: Record<string, unknown> }).sections;
    expect(sections.availability).toMatchObject({ clinicianId: doctor.user.id, ...BERLIN });

    const contributor = t.app
      .get(PersonalDataRegistry)
      .all()
      .find((c) => c.tables.includes('clinician_availability'));
    const erased = await db.transaction((m) => contributor!.eraseFor(doctor.user, m));
    expect(erased).toBe(1);
    await t
      .http()
      .get('/api/v1/clinicians/me/availability')
      .set(authHeader(doctor.accessToken))
      .expect(404);
  });

  it('lists the clinicians one can book with, by name, a page at a time', async () => {
    const patient = await signIn(t, Role.Patient);
    const published = [await signIn(t, Role.Doctor), await signIn(t, Role.Doctor)];
    const silent = await signIn(t, Role.Doctor);
    const leaving = await signIn(t, Role.Doctor);
    for (const doctor of [...published, leaving]) await put(doctor, BERLIN).expect(200);
    const admin = await signIn(t, Role.Admin);
    await t
      .http()
      .delete(`/api/v1/users/${leaving.user.id}`)
      .set(authHeader(admin.accessToken))
      .expect(204);

    const seen: { id: string; displayName: string; timezone: string; slotMinutes: number }[] = [];
    let cursor: string | undefined;
    do {
      const page = await t
        .http()
        .get('/api/v1/clinicians')
        .query({ limit: 1, ...(cursor ? { cursor } : {}) })
        .set(authHeader(patient.accessToken))
        .expect(200);
      seen.push(...(page.body as { items: typeof seen }).items);
      cursor = (page.body as { nextCursor: string | null }).nextCursor ?? undefined;
    } while (cursor);
    const ids = seen.map((c) => c.id);
    for (const doctor of published)
      expect(seen).toContainEqual({
        id: doctor.user.id,
        displayName: doctor.user.displayName,
        timezone: 'Europe/Berlin',
        slotMinutes: 30,
      });
    expect(ids).not.toContain(silent.user.id);
    expect(ids).not.toContain(leaving.user.id);
    expect(new Set(ids).size).toBe(ids.length);

    const bad = await t
      .http()
      .get('/api/v1/clinicians')
      .query({ cursor: 'not-a-cursor' })
      .set(authHeader(patient.accessToken))
      .expect(400);
    expect(bad.body).toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  describe('authorization matrix', () => {
    interface Ctx {
      auth: Record<string, string>;
      clinicianId: string;
    }
    const cases: MatrixCase<Ctx>[] = [
      {
        route: 'PUT /clinicians/me/availability',
        allowed: [Role.Doctor],
        call: ({ auth }) =>
          t.http().put('/api/v1/clinicians/me/availability').set(auth).send(BERLIN),
      },
      {
        route: 'GET /clinicians/me/availability',
        allowed: [Role.Doctor],
        call: async ({ auth }) => {
          await t.http().put('/api/v1/clinicians/me/availability').set(auth).send(BERLIN);
          return t.http().get('/api/v1/clinicians/me/availability').set(auth);
        },
      },
      {
        route: 'GET /clinicians',
        allowed: EVERY_ROLE,
        call: ({ auth }) => t.http().get('/api/v1/clinicians').query({ limit: 1 }).set(auth),
      },
      {
        route: 'GET /clinicians/:id/slots',
        allowed: EVERY_ROLE,
        call: ({ auth, clinicianId }) =>
          t
            .http()
            .get(`/api/v1/clinicians/${clinicianId}/slots`)
            .query({ from: '2027-01-01T00:00:00Z', to: '2027-01-08T00:00:00Z' })
            .set(auth),
      },
    ];

    it('covers every route of the controller', () => {
      expect(coveredRoutes(cases)).toEqual(routesOf(t.app, /^AvailabilityController\./));
    });

    it.each(cases.map((c) => [c.route, c] as const))('%s', async (_route, testCase) => {
      const clinician = await signIn(t, Role.Doctor);
      await expectAccess(testCase, async (caller: Caller) => ({
        auth: caller === 'anonymous' ? {} : authHeader((await signIn(t, caller)).accessToken),
        clinicianId: clinician.user.id,
      }));
    });
  });
});
