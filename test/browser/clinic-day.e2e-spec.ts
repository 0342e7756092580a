import { authHeader } from '../support/auth';
import { appAndTwoPeople, pollUntil } from '../support/browser';
import {
  doctorAndPatient,
  leaveToHome,
  passPrecheck,
  screenshotBoth,
  signInBoth,
  waitForVideo,
  waitRoomStatus,
} from '../support/demo-driver';

// The clinic's day on the demo page (docs/demo.md, docs/appointments.md): the patient picks the
// doctor by name, books a free slot, checks in and waits; the doctor sees them in the queue,
// lets the next patient in, and completes the appointment once they have seen each other.
describe('browser: booking, check-in, the queue and the next patient', () => {
  const on = appAndTwoPeople();

  it('walks an appointment from booking to completed on both pages', async () => {
    const { t, pages } = on;
    const people = await doctorAndPatient(t);
    await signInBoth(t, pages, people);
    const doctor = pages.doctor;
    const patient = pages.patient;

    // The doctor opens their calendar from the page: every day 08:00–20:00.
    await doctor.getByTestId('hours-open').click();
    const hours = async () =>
      (
        await t
          .http()
          .get('/api/v1/clinicians/me/availability')
          .set(authHeader(people.doctor.accessToken))
      ).body as { weekly: { start: string; end: string }[]; slotMinutes: number };
    const opened = await pollUntil(
      'the working hours to be stored',
      hours,
      (h) => h.weekly?.length === 7,
    );
    expect(opened.weekly[0]).toMatchObject({ start: '08:00', end: '20:00' });
    expect(opened.slotMinutes).toBe(20);
    // Whatever the hour of the run, the next slot must start within minutes, so that check-in
    // is open: the whole day in 5-minute slots.
    await t
      .http()
      .put('/api/v1/clinicians/me/availability')
      .set(authHeader(people.doctor.accessToken))
      .send({
        timezone: 'UTC',
        slotMinutes: 5,
        weekly: [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start: '00:00', end: '24:00' })),
      })
      .expect(200);

    // The patient finds the doctor by name and books the first free time.
    await patient.getByTestId('appointments-refresh').click();
    await patient
      .getByTestId('booking-clinician')
      .locator(`option[value="${people.doctor.id}"]`)
      .filter({ hasText: 'Dr. Elif Kaya' })
      .waitFor({ state: 'attached' });
    await patient.getByTestId('booking-clinician').selectOption(people.doctor.id);
    await patient.getByTestId('booking-reason').fill('Follow-up of the blood test');
    await patient.getByTestId('booking-find').click();
    await patient.getByTestId('booking-slot').first().click();
    const booked = patient.locator('[data-testid="appointment-item"][data-status="booked"]');
    await booked.waitFor();
    expect(await booked.textContent()).toContain('Dr. Elif Kaya');
    const appointmentId = (await booked.getAttribute('data-appointment-id')) ?? '';

    // Check-in puts the patient in the appointment's waiting room and the doctor's queue.
    await booked.getByTestId('appointment-check-in').click();
    expect(await passPrecheck(patient)).toBe('passed');
    await waitRoomStatus(patient, 'waiting');
    const queued = doctor.locator(
      `[data-testid="queue-item"][data-appointment-id="${appointmentId}"]`,
    );
    await queued.waitFor();
    expect(await queued.textContent()).toMatch(/^1\. Ayşe Yılmaz: booked for /);
    // Her device check reached the doctor's queue.
    await queued.locator('[data-testid="queue-precheck"][data-passed="true"]').waitFor();

    // "Next patient": the doctor enters the room and lets the patient in; video both ways.
    await doctor.getByTestId('queue-next').click();
    await waitRoomStatus(patient, 'joined');
    await Promise.all([waitForVideo(doctor, 'the doctor'), waitForVideo(patient, 'the patient')]);
    await screenshotBoth(pages, 'clinic-day');
    await queued.waitFor({ state: 'detached' });

    const inConsultation = doctor.locator(
      `[data-testid="appointment-item"][data-appointment-id="${appointmentId}"][data-status="in_consultation"]`,
    );
    // The doctor closes the consultation, back on their day, and completes the appointment.
    await leaveToHome(doctor);
    await doctor.getByTestId('appointments-refresh').click();
    await inConsultation.getByTestId('appointment-complete').click();
    await doctor
      .locator(
        `[data-testid="appointment-item"][data-appointment-id="${appointmentId}"][data-status="completed"]`,
      )
      .waitFor();
    const stored = await t
      .http()
      .get(`/api/v1/appointments/${appointmentId}`)
      .set(authHeader(people.patient.accessToken))
      .expect(200);
    expect(stored.body).toMatchObject({
      status: 'completed',
      outcome: 'Seen',
      reason: 'Follow-up of the blood test',
      patientId: people.patient.id,
      clinicianId: people.doctor.id,
    });
  });
});
