import { AppException } from '../../../common/errors/app.exception';
import type { AppointmentAct } from './appointment-state';
import type { AppointmentStatus } from './appointment.entity';

// The appointments' failures, in one place. An appointment the caller is no party to is
// "not found", never "forbidden", so ids cannot be probed.
export const AppointmentErrors = {
  notFound: (): AppException => AppException.notFound('The appointment'),
  slotTaken: (): AppException =>
    AppException.conflict('The clinician already has an appointment at that time.'),
  notAFreeSlot: (): AppException =>
    AppException.validation([
      {
        field: 'start',
        messages: [
          'start and end must be one of the clinician’s free slots (GET /clinicians/:id/slots)',
        ],
      },
    ]),
  notAllowed: (act: AppointmentAct, status: AppointmentStatus): AppException =>
    AppException.conflict(`An appointment that is ${status} cannot take ${act.replace('_', '-')}.`),
  checkInClosed: (opensMinutes: number): AppException =>
    AppException.conflict(
      `Check-in opens ${opensMinutes} minutes before the start and closes at the end.`,
    ),
  tooEarlyForNoShow: (): AppException =>
    AppException.conflict('A patient can be marked as not having come only after the start.'),
  unknownClinician: (): AppException =>
    AppException.validation([{ field: 'clinicianId', messages: ['not an active doctor'] }]),
  unknownPatient: (): AppException =>
    AppException.validation([{ field: 'patientId', messages: ['not an active patient'] }]),
  patientRequired: (): AppException =>
    AppException.validation([
      {
        field: 'patientId',
        messages: ['a doctor or admin books for a patient: give patientId or invitee'],
      },
    ]),
  inviteeOrPatient: (): AppException =>
    AppException.validation([
      {
        field: 'invitee',
        messages: ['a doctor or admin books for a patient or for an invitee, not both'],
      },
    ]),
  forOthers: (): AppException =>
    AppException.forbidden('A patient books for themselves; a doctor books in their own diary.'),
  badTime: (detail: string): AppException =>
    AppException.validation([{ field: 'end', messages: [detail] }]),
};
