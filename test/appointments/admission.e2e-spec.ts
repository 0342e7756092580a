import { DataSource } from 'typeorm';
import { Role } from '../../src/common/auth/role';
import { bookSoon } from '../support/appointments';
import { authHeader, signIn, type SignedIn } from '../support/auth';
import { connect, Inbox, request } from '../support/signaling-client';
import { createTestApp, type TestApp } from '../support/test-app';

// Letting a checked-in patient in from their appointment's waiting room starts the
// consultation (docs/appointments.md, "Life of an appointment"): the appointment moves to
// in_consultation, leaves the queue, and the move is audited as the host's act.
describe('appointments: admission from the waiting room', () => {
  let t: TestApp;
  let db: DataSource;

  beforeAll(async () => {
    t = await createTestApp({ listen: true, env: { AUTH_RATE_LIMIT_PER_MINUTE: '1000' } });
    db = t.app.get(DataSource);
  });
  afterAll(() => t.close());

  const as = (who: SignedIn) => authHeader(who.accessToken);
  const appointment = async (who: SignedIn, id: string) =>
    (await t.http().get(`/api/v1/appointments/${id}`).set(as(who)).expect(200)).body as {
      status: string;
    };
  const online = async (who: SignedIn) => {
    const socket = await connect(t, { token: who.accessToken });
    return { socket, inbox: new Inbox(socket) };
  };

  it('moves a checked-in appointment to in_consultation on admission, then completes it', async () => {
    const doctor = await signIn(t, Role.Doctor);
    const patient = await signIn(t, Role.Patient);
    const booked = await bookSoon(t, doctor, patient, 5);
    await t.http().post(`/api/v1/appointments/${booked.id}/check-in`).set(as(patient)).expect(200);

    const [d, p] = await Promise.all([online(doctor), online(patient)]);
    try {
      expect((await request(p.socket, 'room:join', { roomId: booked.roomId })).data).toEqual({
        waiting: true,
      });
      expect((await request(d.socket, 'room:join', { roomId: booked.roomId })).ok).toBe(true);
      // Knocking is not admission: still checked in, still queued.
      expect((await appointment(patient, booked.id)).status).toBe('checked_in');
      const admitted = await request(d.socket, 'room:admit', {
        roomId: booked.roomId,
        userId: patient.user.id,
      });
      expect(admitted.ok).toBe(true);
      await p.inbox.next('room:admitted');

      expect((await appointment(patient, booked.id)).status).toBe('in_consultation');
      const queue = await t.http().get('/api/v1/clinicians/me/queue').set(as(doctor)).expect(200);
      expect((queue.body as { items: unknown[] }).items).toEqual([]);
      const audit = await db.query<{ actor_id: string; details: { status: string } }[]>(
        `SELECT actor_user_id AS actor_id, details FROM audit_events
          WHERE action = 'appointment.admit' AND resource_id = $1`,
        [booked.id],
      );
      expect(audit).toEqual([
        expect.objectContaining({
          actor_id: doctor.user.id,
          details: expect.objectContaining({ status: 'in_consultation' }) as unknown,
        }),
      ]);

      const done = await t
        .http()
        .post(`/api/v1/appointments/${booked.id}/complete`)
        .set(as(doctor))
        .send({ outcome: 'Prescription renewed' })
        .expect(200);
      expect(done.body).toMatchObject({ status: 'completed', outcome: 'Prescription renewed' });
    } finally {
      d.socket.close();
      p.socket.close();
    }
  });

  it('leaves an appointment alone when the admitted person is not its checked-in patient', async () => {
    const doctor = await signIn(t, Role.Doctor);
    const patient = await signIn(t, Role.Patient);
    const booked = await bookSoon(t, doctor, patient, 5);
    // The patient confirms but does not check in, then knocks at the room anyway.
    await t.http().post(`/api/v1/appointments/${booked.id}/confirm`).set(as(patient)).expect(200);
    const [d, p] = await Promise.all([online(doctor), online(patient)]);
    try {
      expect((await request(p.socket, 'room:join', { roomId: booked.roomId })).data).toEqual({
        waiting: true,
      });
      await request(d.socket, 'room:join', { roomId: booked.roomId });
      expect(
        (await request(d.socket, 'room:admit', { roomId: booked.roomId, userId: patient.user.id }))
          .ok,
      ).toBe(true);
      await p.inbox.next('room:admitted');
      expect((await appointment(patient, booked.id)).status).toBe('booked');
    } finally {
      d.socket.close();
      p.socket.close();
    }
  });
});
