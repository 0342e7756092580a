import { DataSource } from 'typeorm';
import { Role } from '../../src/common/auth/role';
import { bookSoon } from '../support/appointments';
import { authHeader, signIn, type SignedIn } from '../support/auth';
import { connect, Inbox, request, until } from '../support/signaling-client';
import type { TestApp } from '../support/test-app';
import { type Device, startTwoInstances, type TwoInstances } from '../support/two-instances';

type Payload = Record<string, unknown>;

interface Waiting {
  patient: SignedIn;
  appointmentId: string;
  roomId: string;
  device: Device;
}

// The live queue (docs/appointments.md, "The queue"; docs/signaling.md, "Queue") on two
// instances sharing PostgreSQL and Redis: a waiting person on one instance hears every change
// made on the other, `queue:next` admits in order from the caller's own queue only, and the
// queue outlives the clinician's drop and the loss of an instance.
describe('appointments: the live waiting queue across two instances', () => {
  let two: TwoInstances;
  let a: TestApp;
  let b: TestApp;
  let db: DataSource;

  beforeAll(async () => {
    // Check-in opens INVITATION_EARLY_MINUTES before the start: long enough here for a queue.
    two = await startTwoInstances({
      AUTH_RATE_LIMIT_PER_MINUTE: '1000',
      INVITATION_EARLY_MINUTES: '40',
    });
    ({ a, b } = two);
    // B is never stopped.
    db = b.app.get(DataSource);
  });
  afterAll(() => two?.close());

  const as = (who: SignedIn) => authHeader(who.accessToken);
  const post = (t: TestApp, who: SignedIn, path: string, body: object = {}) =>
    t.http().post(`/api/v1${path}`).set(as(who)).send(body);

  // A patient with a 10-minute appointment `minutesAhead` from now: booked by the doctor,
  // checked in, and knocking at its waiting room from a device on `t`.
  async function book(doctor: SignedIn, minutesAhead: number) {
    const patient = await signIn(a, Role.Patient);
    const booked = await bookSoon(a, doctor, patient, minutesAhead, 10);
    return { patient, appointmentId: booked.id, roomId: booked.roomId };
  }
  async function arrive(
    t: TestApp,
    booked: { patient: SignedIn; appointmentId: string; roomId: string },
  ): Promise<Waiting> {
    await post(t, booked.patient, `/appointments/${booked.appointmentId}/check-in`).expect(200);
    const device = await two.on(t, booked.patient.accessToken);
    const joined = await request(device.socket, 'room:join', { roomId: booked.roomId });
    expect(joined).toEqual({ ok: true, data: { waiting: true } });
    return { ...booked, device };
  }
  const waitingFor = async (doctor: SignedIn, minutesAhead: number, t: TestApp = a) =>
    arrive(t, await book(doctor, minutesAhead));

  // The next queue:update of a waiting person that says `position` (and the estimate, if given).
  const update = (w: Waiting, position: number, estimate?: number) =>
    w.device.inbox.next(
      'queue:update',
      (p) =>
        p.roomId === w.roomId &&
        p.position === position &&
        (estimate === undefined || p.estimatedWaitMinutes === estimate),
    );
  const fresh = (...devices: Device[]) => devices.forEach((d) => (d.inbox.events.length = 0));
  const ids = (p: Payload) => (p.items as Payload[]).map((e) => e.appointmentId);
  // An admission moves the appointment in consultation just after it committed.
  const becomes = (id: string, expected: string) =>
    until(async () => (await status(id)).status === expected);
  const status = async (id: string) =>
    (
      await db.query<{ status: string; clinician_id: string }[]>(
        'SELECT status, clinician_id FROM appointments WHERE id = $1',
        [id],
      )
    )[0];

  it('pushes each waiting person their place and estimate on every change, whichever instance made it', async () => {
    const doctor = await signIn(a, Role.Doctor);
    const desk = await two.on(b, doctor.accessToken);
    const first = await book(doctor, 2);
    const second = await book(doctor, 12);
    const third = await book(doctor, 22);

    // The later appointment arrives first: alone, it is next, with no wait.
    const p2 = await arrive(a, second);
    expect(await update(p2, 1, 0)).toEqual({
      roomId: p2.roomId,
      position: 1,
      estimatedWaitMinutes: 0,
    });
    // The earlier appointment checks in (on the other instance): it goes first.
    fresh(p2.device);
    const p1 = await arrive(b, first);
    await update(p2, 2, 10);
    await update(p1, 1, 0);
    const p3 = await arrive(a, third);
    await update(p3, 3, 20);
    const view = await desk.inbox.next(
      'queue:changed',
      (p) => ids(p).length === 3 && (p.items as Payload[]).every((e) => e.waiting),
    );
    expect(view.clinicianId).toBe(doctor.user.id);
    expect(ids(view)).toEqual([p1.appointmentId, p2.appointmentId, p3.appointmentId]);
    expect((view.items as Payload[]).map((e) => [e.position, e.waiting, e.precheck])).toEqual([
      [1, true, null],
      [2, true, null],
      [3, true, null],
    ]);

    // The pre-call check reaches the clinician's live view and the REST queue.
    await post(b, p3.patient, `/appointments/${p3.appointmentId}/precheck`, {
      passed: false,
      details: 'camera blocked',
    }).expect(200);
    const checked = await desk.inbox.next('queue:changed', (p) =>
      (p.items as Payload[]).some((e) => (e.precheck as Payload | null)?.passed === false),
    );
    expect((checked.items as Payload[])[2].precheck).toMatchObject({
      passed: false,
      details: 'camera blocked',
    });
    const rest = await a.http().get('/api/v1/clinicians/me/queue').set(as(doctor)).expect(200);
    expect((rest.body as Payload).items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          appointmentId: p3.appointmentId,
          waiting: true,
          precheck: expect.objectContaining({ passed: false }) as unknown,
        }),
      ]),
    );
    // It is the patient's data: in their export.
    const exported = await a
      .http()
      .get('/api/v1/users/me/data-export')
      .set(as(p3.patient))
      .expect(200);
    expect(
      (exported.body as { sections: { appointments: Payload[] } }).sections.appointments,
    ).toEqual([
      expect.objectContaining({
        id: p3.appointmentId,
        precheck: expect.objectContaining({ passed: false, details: 'camera blocked' }) as unknown,
      }),
    ]);
    // Only the patient reports their check.
    await post(a, doctor, `/appointments/${p3.appointmentId}/precheck`, { passed: true }).expect(
      403,
    );

    // A cancellation on instance B moves everyone behind up, on instance A.
    fresh(p2.device, p3.device);
    await post(b, p1.patient, `/appointments/${p1.appointmentId}/cancel`, {
      reason: 'Feeling better',
    }).expect(200);
    await update(p2, 1, 0);
    await update(p3, 2, 10);

    // queue:next from the desk on B admits the first in line, on A.
    fresh(p2.device, p3.device);
    const next = await request(desk.socket, 'queue:next', {});
    expect(next).toEqual({
      ok: true,
      data: {
        appointmentId: p2.appointmentId,
        roomId: p2.roomId,
        userId: p2.patient.user.id,
        displayName: p2.patient.user.displayName,
      },
    });
    expect(await p2.device.inbox.next('room:admitted')).toMatchObject({ roomId: p2.roomId });
    const moved = await update(p3, 1);
    // The consultation just began: what is left of a typical one (10 minutes), at least one.
    expect(moved.estimatedWaitMinutes).toBeGreaterThanOrEqual(1);
    expect(moved.estimatedWaitMinutes).toBeLessThanOrEqual(10);
    await becomes(p2.appointmentId, 'in_consultation');

    // The consultation completes: the clinician is free, the next one waits no more.
    fresh(p3.device);
    await post(a, doctor, `/appointments/${p2.appointmentId}/complete`, {}).expect(200);
    await update(p3, 1, 0);

    // Leaving the waiting room: the clinician sees them no longer knocking, their place kept.
    fresh(desk);
    expect(await request(p3.device.socket, 'room:leave', { roomId: p3.roomId })).toMatchObject({
      ok: true,
    });
    const left = await desk.inbox.next('queue:changed', (p) =>
      (p.items as Payload[]).some((e) => e.waiting === false),
    );
    expect((left.items as Payload[]).map((e) => [e.appointmentId, e.position, e.waiting])).toEqual([
      [p3.appointmentId, 1, false],
    ]);
    // Nobody is knocking: nobody to admit.
    expect((await request(desk.socket, 'queue:next', {})).error?.code).toBe('NOT_FOUND');
  }, 60_000);

  it('queue:next admits in queue order from the caller’s own queue only; admins name the clinician', async () => {
    const doctor = await signIn(a, Role.Doctor);
    const other = await signIn(a, Role.Doctor);
    const admin = await signIn(a, Role.Admin);
    const p1 = await waitingFor(doctor, 2, a);
    // Checked in but not connected: keeps their place, passed over by queue:next.
    const absent = await book(doctor, 12);
    await post(a, absent.patient, `/appointments/${absent.appointmentId}/check-in`).expect(200);
    const p3 = await waitingFor(doctor, 22, b);

    const otherDesk = await two.on(a, other.accessToken);
    expect(
      (await request(otherDesk.socket, 'queue:next', { clinicianId: doctor.user.id })).error?.code,
    ).toBe('FORBIDDEN');
    expect((await request(otherDesk.socket, 'queue:next', {})).error?.code).toBe('NOT_FOUND');
    expect((await request(p1.device.socket, 'queue:next', {})).error?.code).toBe('FORBIDDEN');
    const adminDesk = await two.on(b, admin.accessToken);
    expect((await request(adminDesk.socket, 'queue:next', {})).error?.code).toBe(
      'VALIDATION_FAILED',
    );
    expect(
      (await request(adminDesk.socket, 'queue:next', { clinicianId: 'not-an-id' })).error?.code,
    ).toBe('VALIDATION_FAILED');

    const desk = await two.on(b, doctor.accessToken);
    const firstIn = await request(desk.socket, 'queue:next', {});
    expect(firstIn.data?.userId).toBe(p1.patient.user.id);
    await p1.device.inbox.next('room:admitted');
    // The doctor completes; the admin takes the next for them, skipping the absent one.
    await becomes(p1.appointmentId, 'in_consultation');
    await post(b, doctor, `/appointments/${p1.appointmentId}/complete`, {}).expect(200);
    const secondIn = await request(adminDesk.socket, 'queue:next', {
      clinicianId: doctor.user.id,
    });
    expect(secondIn.data?.userId).toBe(p3.patient.user.id);
    await p3.device.inbox.next('room:admitted');
    await becomes(p3.appointmentId, 'in_consultation');
    expect((await status(absent.appointmentId)).status).toBe('checked_in');
    // The waiting room never admitted anyone by itself: each admission has its audit record.
    const admits = await db.query<{ actor_user_id: string }[]>(
      `SELECT actor_user_id FROM audit_events
        WHERE action = 'appointment.admit' AND resource_id = ANY($1::text[]) ORDER BY seq`,
      [[p1.appointmentId, p3.appointmentId]],
    );
    expect(admits.map((r) => r.actor_user_id)).toEqual([doctor.user.id, admin.user.id]);
  }, 60_000);

  it('transfers a waiting appointment to another clinician’s queue: both queues change, audited', async () => {
    const doctor = await signIn(a, Role.Doctor);
    const colleague = await signIn(a, Role.Doctor);
    const stays = await waitingFor(doctor, 2, a);
    const moves = await waitingFor(doctor, 12, b);
    await update(moves, 2, 10);
    const desk = await two.on(a, doctor.accessToken);
    const colleagueDesk = await two.on(b, colleague.accessToken);

    // Not the patient, not another doctor.
    await post(a, moves.patient, `/appointments/${moves.appointmentId}/transfer`, {
      clinicianId: colleague.user.id,
    }).expect(403);
    await post(a, colleague, `/appointments/${moves.appointmentId}/transfer`, {
      clinicianId: colleague.user.id,
    }).expect(404);
    await post(a, doctor, `/appointments/${moves.appointmentId}/transfer`, {
      clinicianId: moves.patient.user.id,
    }).expect(400);

    fresh(moves.device);
    const res = await post(b, doctor, `/appointments/${moves.appointmentId}/transfer`, {
      clinicianId: colleague.user.id,
    }).expect(200);
    expect(res.body).toMatchObject({ clinicianId: colleague.user.id, status: 'checked_in' });
    await update(moves, 1, 0);
    const mine = await desk.inbox.next('queue:changed', (p) => ids(p).length === 1);
    expect(ids(mine)).toEqual([stays.appointmentId]);
    const theirs = await colleagueDesk.inbox.next('queue:changed', (p) => ids(p).length === 1);
    expect(ids(theirs)).toEqual([moves.appointmentId]);
    const audited = await db.query<{ actor_user_id: string; details: Payload }[]>(
      `SELECT actor_user_id, details FROM audit_events
        WHERE action = 'appointment.transfer' AND resource_id = $1`,
      [moves.appointmentId],
    );
    expect(audited).toEqual([
      expect.objectContaining({
        actor_user_id: doctor.user.id,
        details: expect.objectContaining({
          from: doctor.user.id,
          to: colleague.user.id,
        }) as unknown,
      }),
    ]);

    // The new clinician hosts the room now and admits; the old one cannot.
    expect(
      (
        await request(desk.socket, 'room:admit', {
          roomId: moves.roomId,
          userId: moves.patient.user.id,
        })
      ).ok,
    ).toBe(false);
    const admitted = await request(colleagueDesk.socket, 'queue:next', {});
    expect(admitted.data?.appointmentId).toBe(moves.appointmentId);
    await moves.device.inbox.next('room:admitted');

    // A time the other clinician already holds is refused, as any double booking.
    await book(colleague, 32);
    const clash = await book(doctor, 32);
    await post(a, doctor, `/appointments/${clash.appointmentId}/transfer`, {
      clinicianId: colleague.user.id,
    }).expect(409);
    expect((await status(clash.appointmentId)).clinician_id).toBe(doctor.user.id);
  }, 60_000);

  it('keeps the queue when the clinician drops and when the instance a patient waits on goes', async () => {
    const doctor = await signIn(a, Role.Doctor);
    const onA = await waitingFor(doctor, 2, a);
    const onB = await waitingFor(doctor, 12, b);
    const desk = await two.on(b, doctor.accessToken);
    await desk.inbox.next('queue:changed', () => true, 10_000).catch(() => undefined);

    // The clinician's device drops: the knocks and the queue stay; nothing admits anyone.
    desk.socket.close();
    const rest = await b.http().get('/api/v1/clinicians/me/queue').set(as(doctor)).expect(200);
    expect(
      ((rest.body as Payload).items as Payload[]).map((e) => [e.appointmentId, e.waiting]),
    ).toEqual([
      [onA.appointmentId, true],
      [onB.appointmentId, true],
    ]);

    // Instance A goes (a rolling restart): the patient on it comes back on B, knocks again,
    // and has their place by their appointment time, not by their new arrival.
    await two.stop(a);
    const back = await connect(b, { token: onA.patient.accessToken });
    const inbox = new Inbox(back);
    try {
      expect(await request(back, 'room:join', { roomId: onA.roomId })).toEqual({
        ok: true,
        data: { waiting: true },
      });
      expect(
        await inbox.next('queue:update', (p) => p.roomId === onA.roomId && p.position === 1),
      ).toEqual({ roomId: onA.roomId, position: 1, estimatedWaitMinutes: 0 });
      expect((await status(onA.appointmentId)).status).toBe('checked_in');

      // The clinician is back: queue:next admits in order.
      const again = await two.on(b, doctor.accessToken);
      expect((await request(again.socket, 'queue:next', {})).data?.userId).toBe(
        onA.patient.user.id,
      );
      await inbox.next('room:admitted');
      await becomes(onA.appointmentId, 'in_consultation');
      await post(b, doctor, `/appointments/${onA.appointmentId}/complete`, {}).expect(200);
      expect((await request(again.socket, 'queue:next', {})).data?.userId).toBe(
        onB.patient.user.id,
      );
      await onB.device.inbox.next('room:admitted');
    } finally {
      back.close();
    }
  }, 60_000);
});
