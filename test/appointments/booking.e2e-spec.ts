import { DataSource, type QueryRunner } from 'typeorm';
import { Role } from '../../src/common/auth/role';
import {
  AppointmentsRepository,
  SlotTakenError,
} from '../../src/modules/appointments/booking/appointments.repository';
import { PersonalDataRegistry } from '../../src/common/personal-data/personal-data-registry';
import { RoomsService } from '../../src/modules/rooms/rooms.service';
import { bookSoon } from '../support/appointments';
import { authHeader, signIn, type SignedIn } from '../support/auth';
import {
  type Caller,
  CALLERS,
  coveredRoutes,
  expectAccess,
  type MatrixCase,
  routesOf,
} from '../support/authorization-matrix';
import { until } from '../support/signaling-client';
import { createTestApp, type TestApp } from '../support/test-app';

// Istanbul has no daylight saving: Monday and Tuesday mornings, 20-minute slots. The first
// Monday of 2027 is 4 January; 09:00 in Istanbul is 06:00 UTC.
const HOURS = {
  timezone: 'Europe/Istanbul',
  slotMinutes: 20,
  weekly: [
    { weekday: 1, start: '09:00', end: '12:00' },
    { weekday: 2, start: '09:00', end: '12:00' },
  ],
  exceptions: [],
};
const SLOT = { start: '2027-01-04T06:00:00.000Z', end: '2027-01-04T06:20:00.000Z' };
const NEXT_SLOT = { start: '2027-01-04T06:20:00.000Z', end: '2027-01-04T06:40:00.000Z' };

interface Appointment {
  id: string;
  clinicianId: string;
  patientId: string;
  roomId: string;
  start: string;
  end: string;
  status: string;
  reason: string | null;
  outcome: string | null;
  confirmedAt: string | null;
  checkedInAt: string | null;
  cancelReason: string | null;
}

describe('appointments: booking and the life of an appointment (docs/appointments.md)', () => {
  let t: TestApp;
  let db: DataSource;

  beforeAll(async () => {
    t = await createTestApp({
      env: {
        AUTH_RATE_LIMIT_PER_MINUTE: '10000',
        // The race below has six bookings in PostgreSQL at once, the losers each waiting on
        // its connection for the winner's commit. With the test pool of 5 the sixth waited for
        // a connection, and got a 503 at the pool's 3 s timeout whenever the winner took that
        // long on a loaded machine. Room for all six and some to spare: the pool is not the race.
        DATABASE_POOL_SIZE: '10',
      },
    });
    db = t.app.get(DataSource);
  });
  afterAll(() => t.close());

  const http = () => t.http();
  const as = (who: SignedIn) => authHeader(who.accessToken);

  async function clinicWithHours(): Promise<SignedIn> {
    const doctor = await signIn(t, Role.Doctor);
    await http().put('/api/v1/clinicians/me/availability').set(as(doctor)).send(HOURS).expect(200);
    return doctor;
  }

  const book = (who: SignedIn, body: object) =>
    http().post('/api/v1/appointments').set(as(who)).send(body);

  const slotsOf = async (doctor: SignedIn, who: SignedIn): Promise<string[]> => {
    const res = await http()
      .get(`/api/v1/clinicians/${doctor.user.id}/slots`)
      .query({ from: '2027-01-04T00:00:00Z', to: '2027-01-05T00:00:00Z' })
      .set(as(who))
      .expect(200);
    return (res.body as { items: { start: string }[] }).items.map((s) => s.start);
  };

  const careOf = (doctorId: string, patientId: string) =>
    db.query<{ source: string; until: Date | null; source_id: string }[]>(
      `SELECT source, source_id, until FROM care_relationships
        WHERE clinician_id = $1 AND patient_id = $2`,
      [doctorId, patientId],
    );

  // An appointment a doctor books for a patient `minutesAhead` from now, confirmed by the
  // patient.
  async function bookedSoon(
    doctor: SignedIn,
    patient: SignedIn,
    minutesAhead = 10,
  ): Promise<Appointment> {
    const a = (await bookSoon(t, doctor, patient, minutesAhead)) as unknown as Appointment;
    await http().post(`/api/v1/appointments/${a.id}/confirm`).set(as(patient)).expect(200);
    return a;
  }

  it('a patient books a free slot: it has its own room, begins care, and leaves the slots', async () => {
    const doctor = await clinicWithHours();
    const patient = await signIn(t, Role.Patient);
    expect(await slotsOf(doctor, patient)).toContain(SLOT.start);

    const res = await book(patient, {
      clinicianId: doctor.user.id,
      ...SLOT,
      reason: 'Blood test results',
    }).expect(201);
    const a = res.body as Appointment;
    expect(a).toMatchObject({
      clinicianId: doctor.user.id,
      patientId: patient.user.id,
      status: 'booked',
      reason: 'Blood test results',
      ...SLOT,
    });
    expect(a.confirmedAt).not.toBeNull();
    expect(await slotsOf(doctor, patient)).not.toContain(SLOT.start);
    expect(await slotsOf(doctor, patient)).toContain(NEXT_SLOT.start);

    // Its room: the doctor hosts, with a waiting room, the patient an active member.
    const room = await http().get(`/api/v1/rooms/${a.roomId}`).set(as(patient)).expect(200);
    expect(room.body).toMatchObject({
      hostId: doctor.user.id,
      waitingRoom: true,
      status: 'open',
      members: expect.arrayContaining([
        expect.objectContaining({ userId: patient.user.id, status: 'active' }),
      ]) as unknown,
    });
    // The patient's act begins the care relationship: the doctor may now read the record.
    expect(await careOf(doctor.user.id, patient.user.id)).toEqual([
      { source: 'appointment', source_id: a.roomId, until: null },
    ]);
    await http().get(`/api/v1/users/${patient.user.id}`).set(as(doctor)).expect(200);

    const [record] = await db.query<{ actor_user_id: string; details: Record<string, unknown> }[]>(
      `SELECT actor_user_id, details FROM audit_events
        WHERE action = 'appointment.book' AND resource_id = $1`,
      [a.id],
    );
    expect(record.actor_user_id).toBe(patient.user.id);
    expect(record.details).toMatchObject({ bookedBy: 'patient', clinicianId: doctor.user.id });
    expect(JSON.stringify(record.details)).not.toContain('Blood');
  });

  it('never books a clinician twice, however many patients race for the slot', async () => {
    const doctor = await clinicWithHours();
    const patients = await Promise.all(Array.from({ length: 6 }, () => signIn(t, Role.Patient)));
    expect(t.config.database.poolSize).toBeGreaterThan(patients.length);
    const answers = await Promise.all(
      patients.map((p) => book(p, { clinicianId: doctor.user.id, ...SLOT })),
    );
    expect(answers.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409]);
    const conflict = answers.find((r) => r.status === 409)!;
    expect(conflict.body).toMatchObject({ code: 'CONFLICT' });
    const [{ count }] = await db.query<{ count: string }[]>(
      `SELECT count(*) FROM appointments WHERE clinician_id = $1 AND status <> 'cancelled'`,
      [doctor.user.id],
    );
    expect(Number(count)).toBe(1);
    // The losers got no room and no care relationship either (one transaction each).
    const [{ rooms }] = await db.query<{ rooms: string }[]>(
      `SELECT count(*) AS rooms FROM rooms WHERE host_id = $1`,
      [doctor.user.id],
    );
    expect(Number(rooms)).toBe(1);
    const [{ care }] = await db.query<{ care: string }[]>(
      `SELECT count(*) AS care FROM care_relationships WHERE clinician_id = $1`,
      [doctor.user.id],
    );
    expect(Number(care)).toBe(1);

    // A doctor's own booking over the taken time is refused by the database too.
    const overlapping = await book(doctor, {
      clinicianId: doctor.user.id,
      patientId: patients[0].user.id,
      start: '2027-01-04T06:10:00.000Z',
      end: '2027-01-04T06:30:00.000Z',
    });
    expect(overlapping.status).toBe(409);
  });

  it('turns the deadlock of two overlapping inserts into a lost race, not a failure', async () => {
    // Concurrent insertions under an exclusion constraint can deadlock: A holds 06:00–06:20,
    // B waits for A over 06:10–06:30, then A wants 06:25–06:40, which B's row blocks.
    // PostgreSQL aborts one; the repository must call that a taken slot (409), never a 500.
    const doctor = await signIn(t, Role.Doctor);
    const patient = await signIn(t, Role.Patient);
    const repo = t.app.get(AppointmentsRepository);
    const rooms = t.app.get(RoomsService);
    const [a, b] = [db.createQueryRunner(), db.createQueryRunner()];
    await a.startTransaction();
    await b.startTransaction();
    const insert = async (q: QueryRunner, from: string, to: string) => {
      const room = await rooms.createForAppointment(
        { name: 'race', hostId: doctor.user.id, patientId: patient.user.id, patientActive: true },
        q.manager,
      );
      return repo.insert(
        {
          clinicianId: doctor.user.id,
          patientId: patient.user.id,
          roomId: room.id,
          startAt: new Date(`2027-03-01T${from}:00Z`),
          endAt: new Date(`2027-03-01T${to}:00Z`),
          reason: null,
          bookedBy: patient.user.id,
          confirmedAt: null,
        },
        q.manager,
      );
    };
    try {
      await insert(a, '06:00', '06:20');
      const second = insert(b, '06:10', '06:30').then(
        () => 'booked',
        (e: unknown) => e,
      );
      // B is now waiting for A (its row's check sees A's uncommitted row).
      await until(async () => {
        const [{ n }] = await db.query<{ n: number }[]>(
          `SELECT count(*)::int AS n FROM pg_stat_activity
            WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO "appointments"%'`,
        );
        return n === 1;
      });
      const third = await insert(a, '06:25', '06:40').then(
        () => 'booked',
        (e: unknown) => e,
      );
      const outcomes = [third, await second];
      expect(outcomes.filter((o) => o instanceof SlotTakenError)).toHaveLength(1);
      expect(outcomes.filter((o) => o !== 'booked' && !(o instanceof SlotTakenError))).toEqual([]);
    } finally {
      await a.rollbackTransaction();
      await b.rollbackTransaction();
      await a.release();
      await b.release();
    }
  });

  it('refuses what is not a free slot, the past, and booking for somebody else', async () => {
    const doctor = await clinicWithHours();
    const patient = await signIn(t, Role.Patient);
    const other = await signIn(t, Role.Patient);
    const otherDoctor = await clinicWithHours();
    const field = (res: { body: unknown }) =>
      (res.body as { errors: { field: string }[] }).errors[0].field;

    const offGrid = await book(patient, {
      clinicianId: doctor.user.id,
      start: '2027-01-04T06:05:00.000Z',
      end: '2027-01-04T06:25:00.000Z',
    }).expect(400);
    expect(field(offGrid)).toBe('start');
    const sunday = await book(patient, {
      clinicianId: doctor.user.id,
      start: '2027-01-03T06:00:00.000Z',
      end: '2027-01-03T06:20:00.000Z',
    }).expect(400);
    expect(field(sunday)).toBe('start');
    const past = await book(doctor, {
      clinicianId: doctor.user.id,
      patientId: patient.user.id,
      start: '2026-01-05T06:00:00.000Z',
      end: '2026-01-05T06:20:00.000Z',
    }).expect(400);
    expect(field(past)).toBe('end');
    await book(doctor, {
      clinicianId: doctor.user.id,
      patientId: patient.user.id,
      start: '2027-01-05T06:00:00.000Z',
      end: '2027-01-05T10:01:00.000Z',
    }).expect(400);
    await book(patient, { clinicianId: doctor.user.id, patientId: other.user.id, ...SLOT }).expect(
      403,
    );
    await book(doctor, {
      clinicianId: otherDoctor.user.id,
      patientId: patient.user.id,
      ...SLOT,
    }).expect(403);
    const noPatient = await book(doctor, { clinicianId: doctor.user.id, ...SLOT }).expect(400);
    expect(field(noPatient)).toBe('patientId');
    const notADoctor = await book(patient, { clinicianId: other.user.id, ...SLOT }).expect(400);
    expect(field(notADoctor)).toBe('clinicianId');
    await book(patient, { clinicianId: doctor.user.id, start: 'soon', end: SLOT.end }).expect(400);
    // Nothing was stored by any of the refusals.
    const [{ count }] = await db.query<{ count: string }[]>(
      `SELECT count(*) FROM appointments WHERE clinician_id = $1`,
      [doctor.user.id],
    );
    expect(Number(count)).toBe(0);
  });

  it('a doctor’s booking begins care only when the patient confirms', async () => {
    const doctor = await clinicWithHours();
    const patient = await signIn(t, Role.Patient);
    const a = (
      await book(doctor, {
        clinicianId: doctor.user.id,
        patientId: patient.user.id,
        ...SLOT,
      }).expect(201)
    ).body as Appointment;
    expect(a.confirmedAt).toBeNull();
    expect(await careOf(doctor.user.id, patient.user.id)).toEqual([]);
    await http().get(`/api/v1/users/${patient.user.id}`).set(as(doctor)).expect(404);

    const confirm = () =>
      http().post(`/api/v1/appointments/${a.id}/confirm`).set(as(patient)).expect(200);
    const confirmed = (await confirm()).body as Appointment;
    expect(confirmed.confirmedAt).not.toBeNull();
    expect(await careOf(doctor.user.id, patient.user.id)).toHaveLength(1);
    await http().get(`/api/v1/users/${patient.user.id}`).set(as(doctor)).expect(200);
    // Confirming twice changes nothing and records nothing more.
    expect(((await confirm()).body as Appointment).confirmedAt).toBe(confirmed.confirmedAt);
    const [{ count }] = await db.query<{ count: string }[]>(
      `SELECT count(*) FROM audit_events WHERE action = 'appointment.confirm' AND resource_id = $1`,
      [a.id],
    );
    expect(Number(count)).toBe(1);
  });

  it('cancels with a reason: the slot frees, the room closes, care enters its end', async () => {
    const doctor = await clinicWithHours();
    const patient = await signIn(t, Role.Patient);
    const stranger = await signIn(t, Role.Patient);
    const a = (await book(patient, { clinicianId: doctor.user.id, ...SLOT }).expect(201))
      .body as Appointment;
    const cancel = (who: SignedIn, body: object) =>
      http().post(`/api/v1/appointments/${a.id}/cancel`).set(as(who)).send(body);

    await cancel(patient, {}).expect(400);
    await cancel(stranger, { reason: 'Not mine to cancel' }).expect(404);
    const cancelled = (await cancel(patient, { reason: 'Travelling that week' }).expect(200))
      .body as Appointment;
    expect(cancelled).toMatchObject({ status: 'cancelled', cancelReason: 'Travelling that week' });
    await cancel(patient, { reason: 'Again' }).expect(409);

    expect(await slotsOf(doctor, patient)).toContain(SLOT.start);
    const room = await http().get(`/api/v1/rooms/${a.roomId}`).set(as(doctor)).expect(200);
    expect((room.body as { status: string }).status).toBe('closed');
    // Never consulted: the relationship ends when its room closes.
    const [care] = await careOf(doctor.user.id, patient.user.id);
    expect(care.until).not.toBeNull();
    await http().get(`/api/v1/users/${patient.user.id}`).set(as(doctor)).expect(404);

    // The freed slot can be booked again.
    await book(stranger, { clinicianId: doctor.user.id, ...SLOT }).expect(201);
  });

  it('reschedules into a free slot, never onto a taken one', async () => {
    const doctor = await clinicWithHours();
    const patient = await signIn(t, Role.Patient);
    const other = await signIn(t, Role.Patient);
    const a = (await book(patient, { clinicianId: doctor.user.id, ...SLOT }).expect(201))
      .body as Appointment;
    const later = { start: '2027-01-05T07:00:00.000Z', end: '2027-01-05T07:20:00.000Z' };
    const move = (who: SignedIn, body: object) =>
      http().patch(`/api/v1/appointments/${a.id}`).set(as(who)).send(body);

    const moved = (await move(patient, later).expect(200)).body as Appointment;
    expect(moved).toMatchObject({ ...later, status: 'booked' });
    expect(await slotsOf(doctor, patient)).toContain(SLOT.start);

    await book(other, { clinicianId: doctor.user.id, ...SLOT }).expect(201);
    await move(patient, SLOT).expect(409); // taken by another patient
    await move(doctor, {
      start: '2027-01-04T06:10:00.000Z',
      end: '2027-01-04T06:30:00.000Z',
    }).expect(409); // and the database refuses the overlap to a doctor
    const [row] = await db.query<{ start_at: Date }[]>(
      `SELECT start_at FROM appointments WHERE id = $1`,
      [a.id],
    );
    expect(row.start_at.toISOString()).toBe(later.start);
    const [record] = await db.query<{ details: Record<string, unknown> }[]>(
      `SELECT details FROM audit_events WHERE action = 'appointment.reschedule' AND resource_id = $1`,
      [a.id],
    );
    expect(record.details).toMatchObject({ from: SLOT, ...later });
  });

  it('checks in, completes with an outcome, and keeps health data from admins', async () => {
    const doctor = await signIn(t, Role.Doctor);
    const patient = await signIn(t, Role.Patient);
    const admin = await signIn(t, Role.Admin);
    const far = await bookedSoon(doctor, patient, 120);
    await http().post(`/api/v1/appointments/${far.id}/check-in`).set(as(patient)).expect(409);
    const a = await bookedSoon(doctor, patient, 10);
    const path = `/api/v1/appointments/${a.id}`;

    await http().post(`${path}/complete`).set(as(doctor)).send({}).expect(409); // not here yet
    const here = (await http().post(`${path}/check-in`).set(as(patient)).expect(200))
      .body as Appointment;
    expect(here.status).toBe('checked_in');
    expect(here.checkedInAt).not.toBeNull();
    await http().post(`${path}/no-show`).set(as(doctor)).expect(409);

    const done = (
      await http()
        .post(`${path}/complete`)
        .set(as(doctor))
        .send({ outcome: 'Results normal.' })
        .expect(200)
    ).body as Appointment;
    expect(done).toMatchObject({ status: 'completed', outcome: 'Results normal.' });
    const seenByAdmin = (await http().get(path).set(as(admin)).expect(200)).body as Appointment;
    expect(seenByAdmin).toMatchObject({ status: 'completed', outcome: null, reason: null });
    const room = await http().get(`/api/v1/rooms/${a.roomId}`).set(as(doctor)).expect(200);
    expect((room.body as { status: string }).status).toBe('closed');
  });

  it('records a no-show only after the start, by the clinician', async () => {
    const doctor = await signIn(t, Role.Doctor);
    const patient = await signIn(t, Role.Patient);
    const a = await bookedSoon(doctor, patient, 10);
    const path = `/api/v1/appointments/${a.id}/no-show`;
    await http().post(path).set(as(doctor)).expect(409);
    // The appointment's time passes (moved in the database: tests do not wait).
    await db.query(
      `UPDATE appointments SET start_at = now() - interval '15 minutes',
              end_at = now() + interval '5 minutes' WHERE id = $1`,
      [a.id],
    );
    await http().post(path).set(as(patient)).expect(403);
    const missed = (await http().post(path).set(as(doctor)).expect(200)).body as Appointment;
    expect(missed.status).toBe('no_show');
    await http().post(`/api/v1/appointments/${a.id}/check-in`).set(as(patient)).expect(409);
  });

  it('lists each party’s own appointments in start order, a page at a time', async () => {
    const doctor = await clinicWithHours();
    const patient = await signIn(t, Role.Patient);
    const other = await signIn(t, Role.Patient);
    const mine = [
      (await book(patient, { clinicianId: doctor.user.id, ...NEXT_SLOT }).expect(201))
        .body as Appointment,
      (await book(patient, { clinicianId: doctor.user.id, ...SLOT }).expect(201))
        .body as Appointment,
    ];
    await book(other, {
      clinicianId: doctor.user.id,
      start: '2027-01-04T07:00:00.000Z',
      end: '2027-01-04T07:20:00.000Z',
    }).expect(201);

    const page1 = await http()
      .get('/api/v1/appointments')
      .query({ limit: 1 })
      .set(as(patient))
      .expect(200);
    const first = page1.body as { items: Appointment[]; nextCursor: string | null };
    expect(first.items.map((a) => a.start)).toEqual([SLOT.start]);
    const page2 = await http()
      .get('/api/v1/appointments')
      .query({ limit: 1, cursor: first.nextCursor })
      .set(as(patient))
      .expect(200);
    const second = page2.body as { items: Appointment[]; nextCursor: string | null };
    expect(second.items.map((a) => a.id)).toEqual([mine[0].id]);
    expect(second.nextCursor).toBeNull();

    const doctors = await http()
      .get('/api/v1/appointments')
      .query({ from: '2027-01-04T06:15:00Z', status: 'booked' })
      .set(as(doctor))
      .expect(200);
    expect((doctors.body as { items: Appointment[] }).items).toHaveLength(2);
    await http().get('/api/v1/appointments').query({ status: 'lost' }).set(as(doctor)).expect(400);
    await http().get(`/api/v1/appointments/${mine[0].id}`).set(as(other)).expect(404);
  });

  it('is in the data export; erasure cancels what is to come and removes the reason', async () => {
    const doctor = await clinicWithHours();
    const patient = await signIn(t, Role.Patient);
    const a = (
      await book(patient, { clinicianId: doctor.user.id, ...SLOT, reason: 'Headaches' }).expect(201)
    ).body as Appointment;
    const exported = await http().get('/api/v1/users/me/data-export').set(as(patient)).expect(200);
    const sections = (exported.body as { sections: { appointments: Appointment[] } }).sections;
    expect(sections.appointments).toEqual([
      expect.objectContaining({ id: a.id, reason: 'Headaches' }),
    ]);

    const contributor = t.app
      .get(PersonalDataRegistry)
      .all()
      .find((c) => c.tables.includes('appointments'))!;
    expect(await db.transaction((m) => contributor.eraseFor(patient.user, m))).toBe(2);
    const [row] = await db.query<{ status: string; reason: string | null }[]>(
      `SELECT status, reason FROM appointments WHERE id = $1`,
      [a.id],
    );
    expect(row).toEqual({ status: 'cancelled', reason: null });
  });

  describe('authorization matrix', () => {
    type AppointmentCaller = Caller | 'patient:party' | 'doctor:party';
    const CALLERS_HERE: AppointmentCaller[] = [...CALLERS, 'patient:party', 'doctor:party'];
    interface Ctx {
      auth: Record<string, string>;
      a: Appointment;
      doctorId: string;
      caller: AppointmentCaller;
    }
    const PARTIES: AppointmentCaller[] = ['patient:party', 'doctor:party', Role.Admin];
    const path = (c: Ctx, tail = '') => `/api/v1/appointments/${c.a.id}${tail}`;
    const cases: MatrixCase<Ctx, AppointmentCaller>[] = [
      {
        route: 'POST /appointments',
        allowed: [Role.Patient, 'patient:party', Role.Admin, 'doctor:party'],
        // A patient who is not the appointment's books for themselves.
        call: (c) =>
          http()
            .post('/api/v1/appointments')
            .set(c.auth)
            .send({
              clinicianId: c.doctorId,
              ...(c.caller === Role.Patient ? {} : { patientId: c.a.patientId }),
              ...NEXT_SLOT,
            }),
      },
      {
        route: 'GET /appointments (lists the appointment)',
        allowed: PARTIES,
        call: async (c) => {
          const res = await http().get('/api/v1/appointments').set(c.auth);
          if (res.status !== 200) return res;
          const listed = (res.body as { items: Appointment[] }).items.some((a) => a.id === c.a.id);
          return { status: listed ? 200 : 404 };
        },
      },
      {
        route: 'GET /appointments/:id',
        allowed: PARTIES,
        call: (c) => http().get(path(c)).set(c.auth),
      },
      {
        route: 'PATCH /appointments/:id',
        allowed: PARTIES,
        call: (c) => http().patch(path(c)).set(c.auth).send(NEXT_SLOT),
      },
      {
        route: 'POST /appointments/:id/confirm',
        allowed: ['patient:party'],
        call: (c) => http().post(path(c, '/confirm')).set(c.auth),
      },
      {
        route: 'POST /appointments/:id/cancel',
        allowed: PARTIES,
        call: (c) => http().post(path(c, '/cancel')).set(c.auth).send({ reason: 'Cannot come' }),
      },
      {
        route: 'POST /appointments/:id/check-in',
        allowed: PARTIES,
        call: (c) => http().post(path(c, '/check-in')).set(c.auth),
      },
      {
        route: 'POST /appointments/:id/no-show',
        allowed: ['doctor:party', Role.Admin],
        call: async (c) => {
          await db.query(
            `UPDATE appointments SET start_at = now() - interval '1 minute' WHERE id = $1`,
            [c.a.id],
          );
          return http().post(path(c, '/no-show')).set(c.auth);
        },
      },
      {
        route: 'POST /appointments/:id/complete',
        allowed: ['doctor:party'],
        call: async (c) => {
          await db.query(
            `UPDATE appointments SET status = 'checked_in', checked_in_at = now() WHERE id = $1`,
            [c.a.id],
          );
          return http().post(path(c, '/complete')).set(c.auth).send({});
        },
      },
    ];

    it('covers every route of the controller', () => {
      expect(coveredRoutes(cases)).toEqual(routesOf(t.app, /^AppointmentsController\./));
    });

    it.each(cases.map((c) => [c.route, c] as const))('%s', async (_route, testCase) => {
      await expectAccess<Ctx, AppointmentCaller>(
        testCase,
        async (caller) => {
          const doctor = await clinicWithHours();
          const patient = await signIn(t, Role.Patient);
          const a = await bookedSoon(doctor, patient, 10);
          const who =
            caller === 'anonymous'
              ? null
              : caller === 'patient:party'
                ? patient
                : caller === 'doctor:party'
                  ? doctor
                  : await signIn(t, caller);
          return { auth: who ? as(who) : {}, a, doctorId: doctor.user.id, caller };
        },
        [403, 404],
        CALLERS_HERE,
      );
    });
  });
});
