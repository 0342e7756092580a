import type { AppointmentEntity } from './appointment.entity';
import type { AppointmentResponse } from './dto/appointment.dto';

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

// `party` is whether the reader is the appointment's patient or clinician: the reason and the
// outcome are health data and reach nobody else (an admin manages the diary, not the record).
export function toAppointmentResponse(a: AppointmentEntity, party: boolean): AppointmentResponse {
  return {
    id: a.id,
    clinicianId: a.clinicianId,
    patientId: a.patientId,
    roomId: a.roomId,
    start: a.startAt.toISOString(),
    end: a.endAt.toISOString(),
    status: a.status,
    reason: party ? a.reason : null,
    bookedBy: a.bookedBy,
    confirmedAt: iso(a.confirmedAt),
    checkedInAt: iso(a.checkedInAt),
    completedAt: iso(a.completedAt),
    outcome: party ? a.outcome : null,
    cancelledAt: iso(a.cancelledAt),
    cancelReason: a.cancelReason,
    createdAt: a.createdAt.toISOString(),
    updatedAt: a.updatedAt.toISOString(),
  };
}
