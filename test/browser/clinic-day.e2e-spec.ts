import { authHeader } from '../support/auth';
import { appAndTwoPeople, pollUntil } from '../support/browser';
import {
  bookFirstSlotOnPage,
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
    // The patient finds the doctor by name and books the first free time (the whole day in
    // 5-minute slots, so that check-in is open whatever the hour of the run).
    const { booked, appointmentId } = await bookFirstSlotOnPage(
      t,
      patient,
      people.doctor,
      'Follow-up of the blood test',
    );
    expect(await booked.textContent()).toContain('Dr. Elif Kaya');

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
