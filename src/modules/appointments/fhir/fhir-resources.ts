import { AppointmentStatus } from '../booking/appointment.entity';
import type { AppointmentResponse } from '../booking/dto/appointment.dto';

// FHIR R4 shapes of the read API (docs/appointments.md, "FHIR read API"), built from the API's
// own answers so that they say exactly what the REST API says to the same reader (a reason or
// an outcome an admin may not see is absent here too).

export type FhirResource = Record<string, unknown> & { resourceType: string; id: string };

// Hekim's statuses in FHIR's Appointment.status vocabulary. A clinician's booking the patient
// has not confirmed yet is `pending` (awaiting a participant's answer).
const APPOINTMENT_STATUS: Record<AppointmentResponse['status'], string> = {
  booked: 'booked',
  checked_in: 'checked-in',
  in_consultation: 'arrived',
  completed: 'fulfilled',
  cancelled: 'cancelled',
  no_show: 'noshow',
};

export function fhirAppointment(a: AppointmentResponse): FhirResource {
  const status =
    a.status === AppointmentStatus.Booked && a.confirmedAt === null
      ? 'pending'
      : APPOINTMENT_STATUS[a.status];
  return {
    resourceType: 'Appointment',
    id: a.id,
    meta: { lastUpdated: a.updatedAt },
    status,
    ...(a.cancelReason ? { cancelationReason: { text: a.cancelReason } } : {}),
    ...(a.reason ? { reasonCode: [{ text: a.reason }] } : {}),
    start: a.start,
    end: a.end,
    minutesDuration: Math.round((Date.parse(a.end) - Date.parse(a.start)) / 60_000),
    created: a.createdAt,
    ...(a.outcome ? { comment: a.outcome } : {}),
    participant: [
      {
        actor: { reference: `Patient/${a.patientId}` },
        required: 'required',
        status: a.confirmedAt ? 'accepted' : 'needs-action',
      },
      {
        actor: { reference: `Practitioner/${a.clinicianId}` },
        required: 'required',
        status: 'accepted',
      },
    ],
  };
}

export interface EncounterSource {
  id: string;
  status: 'active' | 'ended';
  startedAt: string;
  endedAt: string | null;
  // Who took part, with their role; the patient is the subject.
  participants: { userId: string; role: string; joinedAt: string; leftAt: string | null }[];
  // The appointment whose room the session was in, if any.
  appointmentId: string | null;
}

// A consultation session as an Encounter: virtual (HL7 v3 ActCode VR), in progress or finished.
export function fhirEncounter(s: EncounterSource): FhirResource {
  const patient = s.participants.find((p) => p.role === 'patient');
  const practitioners = s.participants.filter((p) => p.role === 'doctor');
  return {
    resourceType: 'Encounter',
    id: s.id,
    status: s.status === 'active' ? 'in-progress' : 'finished',
    class: {
      system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode',
      code: 'VR',
      display: 'virtual',
    },
    ...(patient ? { subject: { reference: `Patient/${patient.userId}` } } : {}),
    participant: practitioners.map((p) => ({
      individual: { reference: `Practitioner/${p.userId}` },
      period: { start: p.joinedAt, ...(p.leftAt ? { end: p.leftAt } : {}) },
    })),
    ...(s.appointmentId ? { appointment: [{ reference: `Appointment/${s.appointmentId}` }] } : {}),
    period: { start: s.startedAt, ...(s.endedAt ? { end: s.endedAt } : {}) },
  };
}

// A search's answer: a `searchset` Bundle, with a `next` link while more pages exist.
export function searchBundle(
  resources: FhirResource[],
  selfUrl: string,
  nextUrl: string | null,
): Record<string, unknown> {
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    link: [
      { relation: 'self', url: selfUrl },
      ...(nextUrl ? [{ relation: 'next', url: nextUrl }] : []),
    ],
    entry: resources.map((resource) => ({
      fullUrl: `${resource.resourceType}/${resource.id}`,
      resource,
      search: { mode: 'match' },
    })),
  };
}
