import { iceRefreshDue } from './ice-refresh';

describe('iceRefreshDue', () => {
  const now = 1_000_000;

  it('is due when nothing was handed out yet', () => {
    expect(iceRefreshDue(now, undefined, 900)).toBe(true);
  });

  it('is due within a minute of expiry for long TTLs', () => {
    expect(iceRefreshDue(now, now + 61_000, 900)).toBe(false);
    expect(iceRefreshDue(now, now + 60_000, 900)).toBe(true);
  });

  it('is due within a quarter of the TTL for short TTLs', () => {
    expect(iceRefreshDue(now, now + 16_000, 60)).toBe(false);
    expect(iceRefreshDue(now, now + 15_000, 60)).toBe(true);
  });
});
