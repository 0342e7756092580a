import { AppointmentStatus } from './appointment.entity';

// What can be done to an appointment (docs/appointments.md, "Life of an appointment").
export type AppointmentAct =
  | 'confirm'
  | 'reschedule'
  | 'cancel'
  | 'check_in'
  | 'admit'
  | 'no_show'
  | 'complete'
  | 'transfer'
  | 'precheck';

const S = AppointmentStatus;

// The one table of allowed moves: an act missing from a status's row is refused with 409.
const MOVES: Record<AppointmentStatus, Partial<Record<AppointmentAct, AppointmentStatus>>> = {
  [S.Booked]: {
    confirm: S.Booked,
    reschedule: S.Booked,
    cancel: S.Cancelled,
    check_in: S.CheckedIn,
    no_show: S.NoShow,
    transfer: S.Booked,
    precheck: S.Booked,
  },
  [S.CheckedIn]: {
    check_in: S.CheckedIn,
    cancel: S.Cancelled,
    admit: S.InConsultation,
    complete: S.Completed,
    transfer: S.CheckedIn,
    precheck: S.CheckedIn,
  },
  [S.InConsultation]: { admit: S.InConsultation, complete: S.Completed },
  [S.Completed]: {},
  [S.Cancelled]: {},
  [S.NoShow]: {},
};

// The status an act leads to, or null when the act is not allowed from `status`.
export function nextStatus(
  status: AppointmentStatus,
  act: AppointmentAct,
): AppointmentStatus | null {
  return MOVES[status][act] ?? null;
}

// An appointment that still holds its clinician's time and its room.
export function isLive(status: AppointmentStatus): boolean {
  return status === S.Booked || status === S.CheckedIn || status === S.InConsultation;
}
