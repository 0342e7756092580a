import { DataSource } from 'typeorm';
import { Role } from '../../src/common/auth/role';
import { bookSoon } from '../support/appointments';
import { authHeader, signIn, type SignedIn } from '../support/auth';
import { createTestApp, type TestApp } from '../support/test-app';

interface Queue {
  items: {
    position: number;
    appointmentId: string;
    patientId: string;
    displayName: string;
    waitedSeconds: number;
    estimatedWaitMinutes: number;
  }[];
  nextCursor: null;
}

// The clinician's view of the queue (docs/appointments.md, "The queue").
describe('appointments: the clinician’s waiting queue', () => {
  let t: TestApp;
  let db: DataSource;

  beforeAll(async () => {
    // Check-in opens INVITATION_EARLY_MINUTES before the start: half an hour here, so that a
    // queue of several 20-minute appointments can form.
    t = await createTestApp({
      env: { AUTH_RATE_LIMIT_PER_MINUTE: '1000', INVITATION_EARLY_MINUTES: '30' },
    });
    db = t.app.get(DataSource);
  });
  afterAll(() => t.close());

  const as = (who: SignedIn) => authHeader(who.accessToken);
  const queueOf = async (doctor: SignedIn): Promise<Queue> =>
    (await t.http().get('/api/v1/clinicians/me/queue').set(as(doctor)).expect(200)).body as Queue;

  const book = async (doctor: SignedIn, patient: SignedIn, minutesAhead: number) =>
    (await bookSoon(t, doctor, patient, minutesAhead)).id;
  const checkIn = (who: SignedIn, id: string) =>
    t.http().post(`/api/v1/appointments/${id}/check-in`).set(as(who)).expect(200);

  it('orders by appointment time, then arrival, with waits estimated from recent consultations', async () => {
    const doctor = await signIn(t, Role.Doctor);
    const early = await signIn(t, Role.Patient, { displayName: 'Elif Yılmaz' });
    const late = await signIn(t, Role.Patient, { displayName: 'Can Demir' });
    const earlyId = await book(doctor, early, 5);
    const lateId = await book(doctor, late, 25);
    expect((await queueOf(doctor)).items).toEqual([]);

    // The later patient arrives first, but the earlier appointment goes first.
    await checkIn(late, lateId);
    await checkIn(early, earlyId);
    const queue = await queueOf(doctor);
    expect(queue.nextCursor).toBeNull();
    expect(queue.items.map((e) => [e.position, e.appointmentId, e.displayName])).toEqual([
      [1, earlyId, 'Elif Yılmaz'],
      [2, lateId, 'Can Demir'],
    ]);
    // No history yet: each consultation is expected to take its booked 20 minutes.
    expect(queue.items.map((e) => e.estimatedWaitMinutes)).toEqual([0, 20]);
    expect(queue.items.every((e) => e.waitedSeconds >= 0)).toBe(true);

    // Recent consultations of this clinician took 8 and 12 minutes: the median is 10.
    const other = await signIn(t, Role.Patient);
    for (const [i, minutes] of [8, 12].entries()) {
      const id = await book(doctor, other, 60 + minutes * 3);
      // Seen i + 3 hours ago, for `minutes` from the check-in.
      await db.query(
        `UPDATE appointments
            SET status = 'completed', start_at = now() - make_interval(hours => $3),
                end_at = now() - make_interval(hours => $3) + interval '20 minutes',
                checked_in_at = now() - make_interval(hours => $3),
                completed_at = now() - make_interval(hours => $3) + make_interval(mins => $2)
          WHERE id = $1`,
        [id, minutes, i + 3],
      );
    }
    expect((await queueOf(doctor)).items.map((e) => e.estimatedWaitMinutes)).toEqual([0, 10]);

    // Cancelling takes a patient out of the queue.
    await t
      .http()
      .post(`/api/v1/appointments/${earlyId}/cancel`)
      .set(as(early))
      .send({ reason: 'Feeling better' })
      .expect(200);
    expect((await queueOf(doctor)).items.map((e) => [e.position, e.appointmentId])).toEqual([
      [1, lateId],
    ]);
  });

  it('is the calling doctor’s own: another doctor sees theirs, patients none', async () => {
    const doctor = await signIn(t, Role.Doctor);
    const patient = await signIn(t, Role.Patient);
    await checkIn(patient, await book(doctor, patient, 5));
    expect((await queueOf(doctor)).items).toHaveLength(1);
    expect((await queueOf(await signIn(t, Role.Doctor))).items).toEqual([]);
    await t.http().get('/api/v1/clinicians/me/queue').set(as(patient)).expect(403);
    await t
      .http()
      .get('/api/v1/clinicians/me/queue')
      .set(as(await signIn(t, Role.Admin)))
      .expect(403);
    await t.http().get('/api/v1/clinicians/me/queue').expect(401);
  });
});
