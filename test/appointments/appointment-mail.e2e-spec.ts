import { DataSource } from 'typeorm';
import { Role } from '../../src/common/auth/role';
import { AppointmentsService } from '../../src/modules/appointments/booking/appointments.service';
import { bookSoon } from '../support/appointments';
import { authHeader, signIn, type SignedIn } from '../support/auth';
import { until } from '../support/signaling-client';
import { SmtpSink, type ReceivedMail } from '../support/smtp-sink';
import { startTwoInstances, type TwoInstances } from '../support/two-instances';

// The mails of an appointment and its timed work, on two instances behind one database, as in
// production (docs/appointments.md, "Messages" and "No-shows"): the booking and change mails
// with their calendar event, reminders sent once however many relays run, and the no-show
// sweep marking each missed appointment once.
describe('appointments: mails, reminders and no-shows on two instances', () => {
  const smtp = new SmtpSink();
  let two: TwoInstances;
  let db: DataSource;
  let doctor: SignedIn;

  beforeAll(async () => {
    await smtp.start();
    two = await startTwoInstances({
      NOTIFY_RELAY_ENABLED: 'true',
      NOTIFY_POLL_INTERVAL_MS: '50',
      SMTP_URL: smtp.url,
      APPOINTMENT_REMINDER_MINUTES: '1440,30',
      APPOINTMENT_NO_SHOW_MINUTES: '10',
      AUTH_RATE_LIMIT_PER_MINUTE: '1000',
    });
    db = two.a.app.get(DataSource);
    doctor = await signIn(two.a, Role.Doctor, { displayName: 'Dr. Ayşe Kaya' });
    await two.a
      .http()
      .put('/api/v1/clinicians/me/availability')
      .set(authHeader(doctor.accessToken))
      .send({
        timezone: 'Europe/Istanbul',
        slotMinutes: 20,
        weekly: [{ weekday: 1, start: '09:00', end: '12:00' }],
        exceptions: [],
      })
      .expect(200);
  });
  afterAll(async () => {
    await two?.close();
    await smtp.stop();
  });

  const mailsTo = async (email: string, n: number): Promise<ReceivedMail[]> => {
    await until(() => smtp.to(email).length >= n);
    return smtp.to(email);
  };
  const calendarOf = (mail: ReceivedMail): string => {
    const part = mail.parsed.attachments.find((a) => a.contentType.startsWith('text/calendar'));
    if (!part) throw new Error(`no calendar in ${mail.subject}`);
    return part.content.toString('utf8');
  };
  const reminders = (appointmentId: string) =>
    db.query<{ status: string; next_attempt_at: Date; last_error: string | null }[]>(
      `SELECT status, next_attempt_at, last_error FROM notification_outbox
        WHERE kind = 'appointment_reminder' AND payload ->> 'appointmentId' = $1
        ORDER BY created_at, next_attempt_at`,
      [appointmentId],
    );

  it('mails the booking with its calendar event, schedules reminders, and a move replaces them', async () => {
    const patient = await signIn(two.a, Role.Patient);
    const booked = await two.a
      .http()
      .post('/api/v1/appointments')
      .set(authHeader(patient.accessToken))
      .send({
        clinicianId: doctor.user.id,
        start: '2027-01-04T06:00:00.000Z',
        end: '2027-01-04T06:20:00.000Z',
        reason: 'Palpitations',
      })
      .expect(201);
    const id = (booked.body as { id: string }).id;

    const [mail] = await mailsTo(patient.user.email, 1);
    expect(mail.subject).toBe('Hekim: randevunuz oluşturuldu');
    // The clinic's time zone and the clinician's name; never the reason.
    expect(mail.text).toContain('09:00');
    expect(mail.text).toContain('Dr. Ayşe Kaya');
    const ics = calendarOf(mail);
    expect(ics).toContain('METHOD:REQUEST');
    expect(ics).toContain(`UID:${id}@hekim`);
    expect(ics).toContain('DTSTART:20270104T060000Z');
    expect(`${mail.text}${mail.html}${ics}`).not.toContain('Palpitations');

    // Two reminders, due 24 h and 30 min before the start.
    expect((await reminders(id)).map((r) => [r.status, r.next_attempt_at.toISOString()])).toEqual([
      ['pending', '2027-01-03T06:00:00.000Z'],
      ['pending', '2027-01-04T05:30:00.000Z'],
    ]);

    // The patient moves it: the old reminders are withdrawn, new ones due, the doctor told.
    await two.b
      .http()
      .patch(`/api/v1/appointments/${id}`)
      .set(authHeader(patient.accessToken))
      .send({ start: '2027-01-04T07:00:00.000Z', end: '2027-01-04T07:20:00.000Z' })
      .expect(200);
    const after = await reminders(id);
    expect(after.filter((r) => r.status === 'expired').map((r) => r.last_error)).toEqual([
      'WITHDRAWN',
      'WITHDRAWN',
    ]);
    expect(
      after.filter((r) => r.status === 'pending').map((r) => r.next_attempt_at.toISOString()),
    ).toEqual(['2027-01-03T07:00:00.000Z', '2027-01-04T06:30:00.000Z']);
    const [changed] = await mailsTo(doctor.user.email, 1);
    expect(changed.subject).toBe('Hekim: randevunuz değişti');
    expect(calendarOf(changed)).toContain('DTSTART:20270104T070000Z');
    // The one who moved it is not told: no such message was even written.
    const toPatient = await db.query<{ kind: string }[]>(
      `SELECT kind FROM notification_outbox WHERE recipient = $1 AND kind = 'appointment_changed'`,
      [patient.user.email],
    );
    expect(toPatient).toEqual([]);

    // The doctor cancels: the patient gets the cancellation, the calendar removes the event.
    await two.a
      .http()
      .post(`/api/v1/appointments/${id}/cancel`)
      .set(authHeader(doctor.accessToken))
      .send({ reason: 'Clinic closed' })
      .expect(200);
    const [, cancelled] = await mailsTo(patient.user.email, 2);
    expect(cancelled.text).toContain('iptal edildi');
    expect(calendarOf(cancelled)).toContain('METHOD:CANCEL');
    expect((await reminders(id)).every((r) => r.status === 'expired')).toBe(true);
  });

  it('sends a due reminder once, though both instances relay', async () => {
    const patient = await signIn(two.a, Role.Patient, {});
    await db.query(`UPDATE users SET locale = 'en' WHERE id = $1`, [patient.user.id]);
    const booked = await bookSoon(two.a, doctor, patient, 45);
    const id = booked.id;
    await mailsTo(patient.user.email, 1); // the booking
    // Only the 30-minute reminder is still ahead; its moment comes (moved, not waited for).
    expect(await reminders(id)).toHaveLength(1);
    await db.query(
      `UPDATE notification_outbox SET next_attempt_at = now()
        WHERE kind = 'appointment_reminder' AND payload ->> 'appointmentId' = $1`,
      [id],
    );
    await until(async () => (await reminders(id))[0].status === 'sent');
    // Both relays poll every 50 ms: give the other one many chances to send it again.
    const [{ attempts }] = await db.query<{ attempts: number }[]>(
      `SELECT attempts FROM notification_outbox
        WHERE kind = 'appointment_reminder' AND payload ->> 'appointmentId' = $1`,
      [id],
    );
    expect(attempts).toBe(1);
    const mails = await mailsTo(patient.user.email, 2);
    expect(mails.map((m) => m.subject)).toEqual([
      'Hekim: your appointment is booked',
      'Hekim: appointment reminder',
    ]);
  });

  it('marks a missed appointment no-show once, whichever instances sweep', async () => {
    const patient = await signIn(two.a, Role.Patient);
    const booked = await bookSoon(two.a, doctor, patient, 10);
    const { id, roomId } = booked;
    const sweep = () =>
      Promise.all([two.a, two.b].map((t) => t.app.get(AppointmentsService).sweepNoShows()));

    expect(await sweep()).toEqual([0, 0]); // not started yet
    // Eleven minutes after the start (APPOINTMENT_NO_SHOW_MINUTES is 10), nobody checked in.
    await db.query(
      `UPDATE appointments SET start_at = now() - interval '11 minutes',
              end_at = now() + interval '9 minutes' WHERE id = $1`,
      [id],
    );
    const marked = await sweep();
    expect(marked.reduce((a, b) => a + b, 0)).toBe(1);
    const [row] = await db.query<{ status: string }[]>(
      `SELECT status FROM appointments WHERE id = $1`,
      [id],
    );
    expect(row.status).toBe('no_show');
    const [room] = await db.query<{ status: string }[]>(`SELECT status FROM rooms WHERE id = $1`, [
      roomId,
    ]);
    expect(room.status).toBe('closed');
    const records = await db.query<{ actor_user_id: string | null; details: object }[]>(
      `SELECT actor_user_id, details FROM audit_events
        WHERE action = 'appointment.no_show' AND resource_id = $1`,
      [id],
    );
    expect(records).toEqual([
      { actor_user_id: null, details: expect.objectContaining({ automatic: true }) as object },
    ]);
    expect(await sweep()).toEqual([0, 0]);
  });
});
