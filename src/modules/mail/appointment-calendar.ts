import ical, { ICalCalendarMethod, ICalEventStatus } from 'ical-generator';

type Payload = Record<string, unknown>;

export interface CalendarPart {
  method: 'REQUEST' | 'CANCEL';
  content: string;
}

const date = (p: Payload, key: string): Date | undefined => {
  const value = typeof p[key] === 'string' ? new Date(p[key]) : undefined;
  return value && !Number.isNaN(value.getTime()) ? value : undefined;
};

// The iCalendar (RFC 5545) event of an appointment mail, so that a calendar application adds,
// moves or removes it: one UID per appointment, a SEQUENCE that grows with each change (the
// appointment's `updatedAt` in seconds), METHOD:CANCEL once it is cancelled. Only times and
// the word "Hekim": never the reason or a name.
export function appointmentCalendar(payload: Payload): CalendarPart | undefined {
  const start = date(payload, 'start');
  const end = date(payload, 'end');
  const id = typeof payload.appointmentId === 'string' ? payload.appointmentId : undefined;
  if (!start || !end || !id) return undefined;
  const cancelled = payload.status === 'cancelled';
  const calendar = ical({ prodId: { company: 'Hekim', product: 'Hekim', language: 'EN' } });
  calendar.method(cancelled ? ICalCalendarMethod.CANCEL : ICalCalendarMethod.REQUEST);
  calendar.createEvent({
    id: `${id}@hekim`,
    start,
    end,
    summary: 'Hekim',
    sequence: Math.floor((date(payload, 'updatedAt')?.getTime() ?? 0) / 1000),
    status: cancelled ? ICalEventStatus.CANCELLED : ICalEventStatus.CONFIRMED,
  });
  return { method: cancelled ? 'CANCEL' : 'REQUEST', content: calendar.toString() };
}
