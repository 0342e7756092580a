import type { ClinicianAvailabilityEntity } from './availability.entity';
import type { AvailabilityResponse } from './dto/availability.dto';

export function toAvailabilityResponse(a: ClinicianAvailabilityEntity): AvailabilityResponse {
  return {
    clinicianId: a.clinicianId,
    timezone: a.timezone,
    slotMinutes: a.slotMinutes,
    weekly: a.weekly,
    exceptions: a.exceptions,
    updatedAt: a.updatedAt.toISOString(),
  };
}
