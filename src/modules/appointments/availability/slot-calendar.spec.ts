import { freeSlots, type WorkingHours, workingHoursProblem } from './slot-calendar';

const iso = (s: { start: Date; end: Date }): [string, string] => [
  s.start.toISOString(),
  s.end.toISOString(),
];
const window = (from: string, to: string) => ({ start: new Date(from), end: new Date(to) });
const LONG_AGO = new Date('2000-01-01T00:00:00Z');

function hours(over: Partial<WorkingHours> = {}): WorkingHours {
  return { timezone: 'Europe/Istanbul', slotMinutes: 30, weekly: [], exceptions: [], ...over };
}

describe('free slots', () => {
  it('cuts the weekly hours into slots in the clinician’s zone (Istanbul, UTC+3 all year)', () => {
    // 2026-12-07 is a Monday.
    const h = hours({ weekly: [{ weekday: 1, start: '09:00', end: '10:30' }] });
    const slots = freeSlots(
      h,
      window('2026-12-07T00:00:00Z', '2026-12-08T00:00:00Z'),
      [],
      LONG_AGO,
    );
    expect(slots.map(iso)).toEqual([
      ['2026-12-07T06:00:00.000Z', '2026-12-07T06:30:00.000Z'],
      ['2026-12-07T06:30:00.000Z', '2026-12-07T07:00:00.000Z'],
      ['2026-12-07T07:00:00.000Z', '2026-12-07T07:30:00.000Z'],
    ]);
  });

  it('keeps 09:00 local on both sides of a change of the clocks (Berlin, spring and autumn)', () => {
    // Clocks go forward on Sunday 2026-03-29 and back on Sunday 2026-10-25.
    const h = hours({
      timezone: 'Europe/Berlin',
      slotMinutes: 60,
      weekly: [
        { weekday: 6, start: '09:00', end: '10:00' },
        { weekday: 1, start: '09:00', end: '10:00' },
      ],
    });
    const spring = freeSlots(
      h,
      window('2026-03-28T00:00:00Z', '2026-03-31T00:00:00Z'),
      [],
      LONG_AGO,
    );
    expect(spring.map((s) => s.start.toISOString())).toEqual([
      '2026-03-28T08:00:00.000Z', // Saturday, UTC+1
      '2026-03-30T07:00:00.000Z', // Monday, UTC+2
    ]);
    const autumn = freeSlots(
      h,
      window('2026-10-24T00:00:00Z', '2026-10-27T00:00:00Z'),
      [],
      LONG_AGO,
    );
    expect(autumn.map((s) => s.start.toISOString())).toEqual([
      '2026-10-24T07:00:00.000Z', // Saturday, UTC+2
      '2026-10-26T08:00:00.000Z', // Monday, UTC+1
    ]);
  });

  it('lays slots of the true length across the night the clocks change', () => {
    // Sunday 2026-03-29, Berlin: 02:00 local does not exist. 01:00–04:00 local is two real hours.
    const spring = hours({
      timezone: 'Europe/Berlin',
      slotMinutes: 60,
      exceptions: [{ date: '2026-03-29', start: '01:00', end: '04:00' }],
    });
    const s = freeSlots(
      spring,
      window('2026-03-28T12:00:00Z', '2026-03-30T00:00:00Z'),
      [],
      LONG_AGO,
    );
    expect(s.map(iso)).toEqual([
      ['2026-03-29T00:00:00.000Z', '2026-03-29T01:00:00.000Z'],
      ['2026-03-29T01:00:00.000Z', '2026-03-29T02:00:00.000Z'],
    ]);
    // Sunday 2026-10-25: 02:00–03:00 local happens twice. 01:00–04:00 local is four real hours.
    const autumn = hours({
      timezone: 'Europe/Berlin',
      slotMinutes: 60,
      exceptions: [{ date: '2026-10-25', start: '01:00', end: '04:00' }],
    });
    const a = freeSlots(
      autumn,
      window('2026-10-24T12:00:00Z', '2026-10-26T00:00:00Z'),
      [],
      LONG_AGO,
    );
    expect(a.map((x) => x.start.toISOString())).toEqual([
      '2026-10-24T23:00:00.000Z',
      '2026-10-25T00:00:00.000Z',
      '2026-10-25T01:00:00.000Z',
      '2026-10-25T02:00:00.000Z',
    ]);
  });

  it('moves a start inside the skipped hour forward by the gap', () => {
    const h = hours({
      timezone: 'Europe/Berlin',
      slotMinutes: 30,
      exceptions: [{ date: '2026-03-29', start: '02:30', end: '04:00' }],
    });
    const s = freeSlots(h, window('2026-03-29T00:00:00Z', '2026-03-30T00:00:00Z'), [], LONG_AGO);
    // 02:30 does not exist: it is read as 03:30 CEST (01:30 UTC); 04:00 CEST is 02:00 UTC.
    expect(s.map(iso)).toEqual([['2026-03-29T01:30:00.000Z', '2026-03-29T02:00:00.000Z']]);
  });

  it('leaves out busy time, the past and what falls outside the window', () => {
    const h = hours({ weekly: [{ weekday: 1, start: '09:00', end: '11:00' }] });
    const busy = [window('2026-12-07T06:45:00Z', '2026-12-07T07:15:00Z')];
    const now = new Date('2026-12-07T06:10:00Z');
    const s = freeSlots(h, window('2026-12-07T00:00:00Z', '2026-12-07T07:50:00Z'), busy, now);
    // 06:00 is past, 06:30 and 07:00 overlap the busy half hour, 07:30 ends after the window.
    expect(s).toEqual([]);
    const later = freeSlots(h, window('2026-12-07T00:00:00Z', '2026-12-08T00:00:00Z'), busy, now);
    // 09:00–11:00 local is 06:00–08:00 UTC: only 07:30 is left.
    expect(later.map(iso)).toEqual([['2026-12-07T07:30:00.000Z', '2026-12-07T08:00:00.000Z']]);
  });

  it('lets a date’s exceptions replace the week or close the day', () => {
    const h = hours({
      weekly: [
        { weekday: 1, start: '09:00', end: '10:00' },
        { weekday: 2, start: '09:00', end: '10:00' },
      ],
      exceptions: [
        { date: '2026-12-07' },
        { date: '2026-12-08', start: '13:00', end: '13:30' },
        { date: '2026-12-08', start: '23:30', end: '24:00' },
      ],
    });
    const s = freeSlots(h, window('2026-12-06T00:00:00Z', '2026-12-10T00:00:00Z'), [], LONG_AGO);
    expect(s.map((x) => x.start.toISOString())).toEqual([
      '2026-12-08T10:00:00.000Z',
      '2026-12-08T20:30:00.000Z',
    ]);
  });

  it('finds a range of the previous local date that ends inside the window', () => {
    const h = hours({ weekly: [{ weekday: 7, start: '23:00', end: '24:00' }] });
    // Sunday 2026-12-06 23:30 Istanbul is 20:30 UTC.
    const s = freeSlots(h, window('2026-12-06T20:30:00Z', '2026-12-06T21:00:00Z'), [], LONG_AGO);
    expect(s.map(iso)).toEqual([['2026-12-06T20:30:00.000Z', '2026-12-06T21:00:00.000Z']]);
  });
});

describe('working hours validation', () => {
  it('accepts sound hours', () => {
    expect(
      workingHoursProblem(
        hours({
          weekly: [
            { weekday: 1, start: '09:00', end: '12:00' },
            { weekday: 1, start: '13:00', end: '24:00' },
          ],
          exceptions: [
            { date: '2026-12-31' },
            { date: '2027-01-02', start: '10:00', end: '11:00' },
          ],
        }),
      ),
    ).toBeNull();
  });

  it.each([
    [{ timezone: 'Mars/Olympus' }, 'timezone must be an IANA time zone such as Europe/Istanbul'],
    [{ weekly: [{ weekday: 1, start: '9:00', end: '10:00' }] }, 'weekly[0].start must be HH:mm'],
    [{ weekly: [{ weekday: 1, start: '24:00', end: '24:00' }] }, 'weekly[0].start must be HH:mm'],
    [
      { weekly: [{ weekday: 1, start: '09:00', end: '24:30' }] },
      'weekly[0].end must be HH:mm or 24:00',
    ],
    [
      { weekly: [{ weekday: 1, start: '10:00', end: '09:00' }] },
      'weekly[0] must end after it starts',
    ],
    [
      {
        weekly: [
          { weekday: 1, start: '09:00', end: '11:00' },
          { weekday: 1, start: '10:00', end: '12:00' },
        ],
      },
      'weekly[1] overlaps weekly[0]',
    ],
    [{ exceptions: [{ date: '2026-02-30' }] }, 'exceptions[0].date must be a date (YYYY-MM-DD)'],
    [
      { exceptions: [{ date: '2026-12-07', start: '09:00' }] },
      'exceptions[0] needs both start and end, or neither (a day off)',
    ],
    [
      { exceptions: [{ date: '2026-12-07', start: '9', end: '10:00' }] },
      'exceptions[0].start must be HH:mm',
    ],
    [
      { exceptions: [{ date: '2026-12-07', start: '09:00', end: '25:00' }] },
      'exceptions[0].end must be HH:mm or 24:00',
    ],
    [
      {
        exceptions: [{ date: '2026-12-07' }, { date: '2026-12-07', start: '09:00', end: '10:00' }],
      },
      'exceptions for 2026-12-07 mix a day off with hours',
    ],
  ])('refuses %j', (over, problem) => {
    expect(workingHoursProblem(hours(over as Partial<WorkingHours>))).toBe(problem);
  });
});
