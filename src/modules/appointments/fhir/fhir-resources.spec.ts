import { Fhir } from 'fhir';
import type { AppointmentResponse } from '../booking/dto/appointment.dto';
import { fhirAppointment, fhirEncounter, searchBundle } from './fhir-resources';

const appointment: AppointmentResponse = {
  id: '5c2e7d1a-9b4f-4e38-a6d0-3f8b1c9e2a75',
  clinicianId: '0b9f6f55-3c84-4d1e-9a56-d7f2c8a1e3b4',
  patientId: 'a41d9e07-6b3c-4f28-8d15-2c7e9b0f4a61',
  roomId: '3f6c2a8e-1d4b-4c7a-9e52-8b1f0d7a6c34',
  start: '2027-01-04T06:00:00.000Z',
  end: '2027-01-04T06:20:00.000Z',
  status: 'booked' as AppointmentResponse['status'],
  reason: 'Blood test results',
  bookedBy: null,
  confirmedAt: '2026-12-07T12:00:00.000Z',
  checkedInAt: null,
  completedAt: null,
  outcome: null,
  cancelledAt: null,
  cancelReason: null,
  createdAt: '2026-12-07T12:00:00.000Z',
  updatedAt: '2026-12-07T12:00:00.000Z',
};

// The validator of the `fhir` package checks resources against the R4 structure definitions.
function errorsOf(resource: object): unknown[] {
  return new Fhir().validate(resource).messages.filter((m) => String(m.severity) === 'error');
}

describe('FHIR R4 resources of the read API', () => {
  it('maps each status of an appointment, unconfirmed bookings being pending', () => {
    const statuses = [
      ['booked', 'booked'],
      ['checked_in', 'checked-in'],
      ['in_consultation', 'arrived'],
      ['completed', 'fulfilled'],
      ['cancelled', 'cancelled'],
      ['no_show', 'noshow'],
    ] as const;
    for (const [ours, theirs] of statuses) {
      const r = fhirAppointment({ ...appointment, status: ours as AppointmentResponse['status'] });
      expect(r.status).toBe(theirs);
      expect(errorsOf(r)).toEqual([]);
    }
    const pending = fhirAppointment({ ...appointment, confirmedAt: null });
    expect(pending.status).toBe('pending');
    expect(pending.participant).toContainEqual(expect.objectContaining({ status: 'needs-action' }));
  });

  it('carries reason, outcome and cancellation only when the reader may see them', () => {
    const full = fhirAppointment({
      ...appointment,
      status: 'cancelled' as AppointmentResponse['status'],
      outcome: 'Seen',
      cancelReason: 'Travelling',
    });
    expect(full).toMatchObject({
      reasonCode: [{ text: 'Blood test results' }],
      comment: 'Seen',
      cancelationReason: { text: 'Travelling' },
      minutesDuration: 20,
    });
    expect(errorsOf(full)).toEqual([]);
    const bare = fhirAppointment({ ...appointment, reason: null });
    expect(bare).not.toHaveProperty('reasonCode');
  });

  it('makes a session a virtual Encounter with its subject, practitioners and appointment', () => {
    const encounter = fhirEncounter({
      id: 'e7a1c2d3-4b5f-4a6e-8c7d-9e0f1a2b3c4d',
      status: 'ended',
      startedAt: '2027-01-04T06:01:00.000Z',
      endedAt: '2027-01-04T06:19:00.000Z',
      participants: [
        {
          userId: appointment.clinicianId,
          role: 'doctor',
          joinedAt: '2027-01-04T06:01:00.000Z',
          leftAt: '2027-01-04T06:19:00.000Z',
        },
        {
          userId: appointment.patientId,
          role: 'patient',
          joinedAt: '2027-01-04T06:02:00.000Z',
          leftAt: null,
        },
      ],
      appointmentId: appointment.id,
    });
    expect(encounter).toMatchObject({
      status: 'finished',
      subject: { reference: `Patient/${appointment.patientId}` },
      appointment: [{ reference: `Appointment/${appointment.id}` }],
      period: { start: '2027-01-04T06:01:00.000Z', end: '2027-01-04T06:19:00.000Z' },
    });
    expect(errorsOf(encounter)).toEqual([]);
    const live = fhirEncounter({
      id: 'x1',
      status: 'active',
      startedAt: '2027-01-04T06:01:00.000Z',
      endedAt: null,
      participants: [],
      appointmentId: null,
    });
    expect(live.status).toBe('in-progress');
    expect(live).not.toHaveProperty('subject');
  });

  it('answers a search with a searchset Bundle the validator accepts', () => {
    const bundle = searchBundle(
      [fhirAppointment(appointment)],
      'https://h/fhir/Appointment',
      'https://h/next',
    );
    expect(bundle).toMatchObject({
      type: 'searchset',
      link: [{ relation: 'self' }, { relation: 'next' }],
    });
    expect(errorsOf(bundle)).toEqual([]);
    // The validator does refuse a broken resource (the check can fail).
    expect(errorsOf({ ...fhirAppointment(appointment), status: 'maybe' })).not.toEqual([]);
  });
});
