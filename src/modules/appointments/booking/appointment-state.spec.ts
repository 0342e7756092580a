import { AppointmentStatus as S } from './appointment.entity';
import { type AppointmentAct, isLive, nextStatus } from './appointment-state';

describe('appointment life (docs/appointments.md)', () => {
  it.each<[S, AppointmentAct, S]>([
    [S.Booked, 'confirm', S.Booked],
    [S.Booked, 'reschedule', S.Booked],
    [S.Booked, 'check_in', S.CheckedIn],
    [S.Booked, 'cancel', S.Cancelled],
    [S.Booked, 'no_show', S.NoShow],
    [S.CheckedIn, 'check_in', S.CheckedIn],
    [S.CheckedIn, 'admit', S.InConsultation],
    [S.CheckedIn, 'complete', S.Completed],
    [S.CheckedIn, 'cancel', S.Cancelled],
    [S.InConsultation, 'complete', S.Completed],
    [S.Booked, 'transfer', S.Booked],
    [S.CheckedIn, 'transfer', S.CheckedIn],
    [S.Booked, 'precheck', S.Booked],
    [S.CheckedIn, 'precheck', S.CheckedIn],
  ])('%s --%s--> %s', (from, act, to) => {
    expect(nextStatus(from, act)).toBe(to);
  });

  it.each<[S, AppointmentAct]>([
    [S.Booked, 'complete'],
    [S.Booked, 'admit'],
    [S.CheckedIn, 'reschedule'],
    [S.CheckedIn, 'no_show'],
    [S.InConsultation, 'cancel'],
    [S.InConsultation, 'reschedule'],
    [S.Completed, 'cancel'],
    [S.Cancelled, 'check_in'],
    [S.Cancelled, 'reschedule'],
    [S.NoShow, 'check_in'],
    [S.InConsultation, 'transfer'],
    [S.Completed, 'transfer'],
    [S.InConsultation, 'precheck'],
    [S.Cancelled, 'precheck'],
  ])('refuses %s --%s-->', (from, act) => {
    expect(nextStatus(from, act)).toBeNull();
  });

  it('holds the clinician’s time only while booked, checked in or in consultation', () => {
    expect(Object.values(S).filter(isLive)).toEqual([S.Booked, S.CheckedIn, S.InConsultation]);
  });
});
