import { authHeader, type SignedIn } from './auth';
import type { TestApp } from './test-app';

export interface BookedAppointment {
  id: string;
  roomId: string;
  start: string;
  end: string;
  confirmedAt: string | null;
}

// A doctor books `minutes` (20) for a patient `minutesAhead` from now, on a whole minute:
// staff are not bound to slots, so the time is free to choose (docs/appointments.md).
export async function bookSoon(
  t: TestApp,
  doctor: SignedIn,
  patient: SignedIn,
  minutesAhead: number,
  minutes = 20,
): Promise<BookedAppointment> {
  const start = new Date(Math.ceil(Date.now() / 60_000) * 60_000 + minutesAhead * 60_000);
  const res = await t
    .http()
    .post('/api/v1/appointments')
    .set(authHeader(doctor.accessToken))
    .send({
      clinicianId: doctor.user.id,
      patientId: patient.user.id,
      start: start.toISOString(),
      end: new Date(start.getTime() + minutes * 60_000).toISOString(),
    })
    .expect(201);
  return res.body as BookedAppointment;
}
