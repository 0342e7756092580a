import { DateTime, IANAZone } from 'luxon';

// A clinician's working hours as they enter them: wall-clock times in their own time zone
// (docs/appointments.md, "Availability and slots").
export interface WeeklyHours {
  // ISO weekday: Monday = 1 … Sunday = 7.
  weekday: number;
  // `HH:mm`, local to the time zone; `end` may be `24:00` (midnight at the end of the day).
  start: string;
  end: string;
}

// One date that differs from the week: without `start`/`end` the clinician does not work
// that day; with them, that date's entries replace the weekly hours.
export interface DateException {
  date: string;
  start?: string;
  end?: string;
}

export interface WorkingHours {
  timezone: string;
  slotMinutes: number;
  weekly: readonly WeeklyHours[];
  exceptions: readonly DateException[];
}

export interface Interval {
  start: Date;
  end: Date;
}

const CLOCK = /^(?:([01]\d|2[0-3]):([0-5]\d)|24:00)$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

function minutesOf(clock: string): number {
  if (clock === '24:00') return 24 * 60;
  return Number(clock.slice(0, 2)) * 60 + Number(clock.slice(3, 5));
}

// Why a set of working hours cannot be stored, or null when it can. Messages name the field
// so a clinic admin can fix the entry (VALIDATION_FAILED).
export function workingHoursProblem(hours: WorkingHours): string | null {
  if (!IANAZone.isValidZone(hours.timezone))
    return `timezone must be an IANA time zone such as Europe/Istanbul`;
  const ranges: { key: string; start: number; end: number; field: string }[] = [];
  for (const [i, w] of hours.weekly.entries()) {
    const field = `weekly[${i}]`;
    if (!CLOCK.test(w.start) || w.start === '24:00') return `${field}.start must be HH:mm`;
    if (!CLOCK.test(w.end)) return `${field}.end must be HH:mm or 24:00`;
    ranges.push({ key: `w${w.weekday}`, start: minutesOf(w.start), end: minutesOf(w.end), field });
  }
  for (const [i, e] of hours.exceptions.entries()) {
    const field = `exceptions[${i}]`;
    if (!DATE.test(e.date) || !DateTime.fromISO(e.date).isValid)
      return `${field}.date must be a date (YYYY-MM-DD)`;
    if ((e.start === undefined) !== (e.end === undefined))
      return `${field} needs both start and end, or neither (a day off)`;
    if (e.start === undefined || e.end === undefined) continue;
    if (!CLOCK.test(e.start) || e.start === '24:00') return `${field}.start must be HH:mm`;
    if (!CLOCK.test(e.end)) return `${field}.end must be HH:mm or 24:00`;
    ranges.push({ key: e.date, start: minutesOf(e.start), end: minutesOf(e.end), field });
  }
  for (const r of ranges) if (r.start >= r.end) return `${r.field} must end after it starts`;
  const sorted = [...ranges].sort((a, b) => a.key.localeCompare(b.key) || a.start - b.start);
  for (let i = 1; i < sorted.length; i++) {
    const [prev, cur] = [sorted[i - 1], sorted[i]];
    if (prev.key === cur.key && cur.start < prev.end) return `${cur.field} overlaps ${prev.field}`;
  }
  const days = new Map<string, boolean>();
  for (const e of hours.exceptions) {
    const off = e.start === undefined;
    if (days.has(e.date) && days.get(e.date) !== off)
      return `exceptions for ${e.date} mix a day off with hours`;
    days.set(e.date, off);
  }
  return null;
}

// The wall-clock ranges a clinician works on one local date.
function rangesOn(hours: WorkingHours, day: DateTime): { start: string; end: string }[] {
  const date = day.toISODate() as string;
  const exceptions = hours.exceptions.filter((e) => e.date === date);
  if (exceptions.length > 0)
    return exceptions.flatMap((e) =>
      e.start !== undefined && e.end !== undefined ? [{ start: e.start, end: e.end }] : [],
    );
  return hours.weekly.filter((w) => w.weekday === day.weekday);
}

// A wall-clock time on a local date, as an instant. A time that does not exist that day (the
// hour skipped when clocks go forward) moves forward by the gap; a time that happens twice
// (clocks going back) is its first occurrence.
function instant(day: DateTime, clock: string): DateTime {
  if (clock === '24:00') return day.plus({ days: 1 }).startOf('day');
  const minutes = minutesOf(clock);
  return DateTime.fromObject(
    {
      year: day.year,
      month: day.month,
      day: day.day,
      hour: Math.floor(minutes / 60),
      minute: minutes % 60,
    },
    { zone: day.zone },
  );
}

// The free slots of `window`: working hours cut into `slotMinutes` pieces of real (elapsed)
// time, minus anything busy, minus the past. Slots are laid from the start of each range, so a
// range that spans a change of the clocks yields slots of the true length on both sides of it.
export function freeSlots(
  hours: WorkingHours,
  window: Interval,
  busy: readonly Interval[],
  now: Date,
): Interval[] {
  const zone = hours.timezone;
  const from = Math.max(window.start.getTime(), now.getTime());
  const to = window.end.getTime();
  const slots: Interval[] = [];
  // Start one local day early: a range late on the previous local date may end in the window.
  let day = DateTime.fromMillis(window.start.getTime(), { zone }).startOf('day').minus({ days: 1 });
  const last = DateTime.fromMillis(to, { zone }).startOf('day');
  while (day <= last) {
    for (const range of rangesOn(hours, day)) {
      const end = instant(day, range.end).toMillis();
      for (
        let s = instant(day, range.start).toMillis();
        s + hours.slotMinutes * 60_000 <= end;
        s += hours.slotMinutes * 60_000
      ) {
        const e = s + hours.slotMinutes * 60_000;
        if (s < from || e > to) continue;
        if (busy.some((b) => b.start.getTime() < e && b.end.getTime() > s)) continue;
        slots.push({ start: new Date(s), end: new Date(e) });
      }
    }
    day = day.plus({ days: 1 });
  }
  return slots.sort((a, b) => a.start.getTime() - b.start.getTime());
}
