import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { AuthUser } from '../../../common/auth/auth-user';
import { AdmissionParticipant } from '../../sessions/ports/admission.participant';
import { AppointmentsService } from './appointments.service';

// The host admitting the patient into an appointment's room starts the consultation
// (docs/appointments.md, "Life of an appointment"): checked_in → in_consultation.
@Injectable()
export class AppointmentAdmissions extends AdmissionParticipant {
  constructor(private readonly appointments: AppointmentsService) {
    super();
  }

  admitted(
    admission: { roomId: string; userId: string; host: AuthUser },
    manager: EntityManager,
  ): Promise<void> {
    return this.appointments.admittedWithin(admission, manager);
  }
}
