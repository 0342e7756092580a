import { Role } from '../../src/common/auth/role';
import { authHeader, signIn } from '../support/auth';
import { until } from '../support/signaling-client';
import { createTestApp, type TestApp } from '../support/test-app';
import { WebhookReceiver } from '../support/webhook-receiver';

// Appointment events as an integrator (an EHR) receives them: signed, with ids and states,
// never the reason (docs/appointments.md, docs/notifications.md#events).
describe('appointments: webhook events', () => {
  const receiver = new WebhookReceiver();
  let t: TestApp;

  beforeAll(async () => {
    await receiver.start();
    t = await createTestApp({
      env: {
        NOTIFY_RELAY_ENABLED: 'true',
        NOTIFY_POLL_INTERVAL_MS: '50',
        WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
        AUTH_RATE_LIMIT_PER_MINUTE: '1000',
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await receiver.stop();
  });

  it('booked, rescheduled and cancelled reach a subscriber of appointment.*', async () => {
    const admin = await signIn(t, Role.Admin);
    const registered = await t
      .http()
      .post('/api/v1/admin/webhooks')
      .set(authHeader(admin.accessToken))
      .send({ url: `${receiver.url}/ehr`, events: ['appointment.*'] })
      .expect(201);
    const secret = (registered.body as { secret: string }).secret;
    const doctor = await signIn(t, Role.Doctor);
    const patient = await signIn(t, Role.Patient);
    const as = authHeader(doctor.accessToken);

    const booked = await t
      .http()
      .post('/api/v1/appointments')
      .set(as)
      .send({
        clinicianId: doctor.user.id,
        patientId: patient.user.id,
        start: '2027-02-01T08:00:00.000Z',
        end: '2027-02-01T08:30:00.000Z',
        reason: 'Chest pain',
      })
      .expect(201);
    const id = (booked.body as { id: string; roomId: string }).id;
    await t
      .http()
      .patch(`/api/v1/appointments/${id}`)
      .set(as)
      .send({ start: '2027-02-02T08:00:00.000Z', end: '2027-02-02T08:30:00.000Z' })
      .expect(200);
    await t
      .http()
      .post(`/api/v1/appointments/${id}/cancel`)
      .set(as)
      .send({ reason: 'Doctor unwell' })
      .expect(200);

    const mine = () => receiver.verified('/ehr', secret).filter((e) => e.data.appointmentId === id);
    await until(() => mine().length === 3);
    const byType = Object.fromEntries(mine().map((e) => [e.type, e.data]));
    expect(Object.keys(byType).sort()).toEqual([
      'appointment.booked',
      'appointment.cancelled',
      'appointment.rescheduled',
    ]);
    expect(byType['appointment.booked']).toEqual({
      appointmentId: id,
      clinicianId: doctor.user.id,
      patientId: patient.user.id,
      roomId: (booked.body as { roomId: string }).roomId,
      status: 'booked',
      start: '2027-02-01T08:00:00.000Z',
      end: '2027-02-01T08:30:00.000Z',
    });
    expect(byType['appointment.rescheduled']).toMatchObject({ start: '2027-02-02T08:00:00.000Z' });
    expect(byType['appointment.cancelled']).toMatchObject({ status: 'cancelled' });
    const bodies = receiver.at('/ehr').map((r) => r.body);
    expect(bodies.join('')).not.toMatch(/Chest pain|Doctor unwell/);
  });
});
