import { estimateWaits, typicalSeconds } from './wait-estimate';

const waiting = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ appointmentId: `a${i}`, slotMinutes: 20 }));

describe('queue wait estimates', () => {
  it('takes the median of recent consultations, or the slot length without history', () => {
    expect(typicalSeconds([600, 900, 3600], 20)).toBe(900);
    expect(typicalSeconds([600, 900], 20)).toBe(750);
    expect(typicalSeconds([], 20)).toBe(1200);
    expect(typicalSeconds([0, -5], 15)).toBe(900);
  });

  it('gives the first in line no wait when the clinician is free, each next one a consultation more', () => {
    expect(
      estimateWaits({ waiting: waiting(3), recentSeconds: [600], currentElapsedSeconds: null }),
    ).toEqual([0, 10, 20]);
  });

  it('adds what is left of the consultation going on, at least a minute', () => {
    expect(
      estimateWaits({ waiting: waiting(2), recentSeconds: [600], currentElapsedSeconds: 240 }),
    ).toEqual([6, 16]);
    // Running over its typical length: the next one is "about a minute" away, not negative.
    expect(
      estimateWaits({ waiting: waiting(1), recentSeconds: [600], currentElapsedSeconds: 900 }),
    ).toEqual([1]);
    expect(estimateWaits({ waiting: [], recentSeconds: [], currentElapsedSeconds: null })).toEqual(
      [],
    );
  });
});
