import { backoffMs } from './backoff';

describe('backoffMs', () => {
  it('grows exponentially with the attempt and stops at the cap', () => {
    const top = () => 1;
    expect([1, 2, 3, 4, 5].map((a) => backoffMs(a, 1000, 10_000, top))).toEqual([
      1000, 2000, 4000, 8000, 10_000,
    ]);
  });

  it('draws below the step, never under a tenth of it', () => {
    expect(backoffMs(3, 1000, 60_000, () => 0)).toBe(400);
    expect(backoffMs(3, 1000, 60_000, () => 0.5)).toBe(2200);
    for (let i = 0; i < 200; i++) {
      const wait = backoffMs(4, 500, 60_000);
      expect(wait).toBeGreaterThanOrEqual(400);
      expect(wait).toBeLessThanOrEqual(4000);
    }
  });
});
