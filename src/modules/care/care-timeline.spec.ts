import { careStatus, earlierEnd, followUpEnd } from './care-timeline';

describe('care relationship timeline', () => {
  const now = new Date('2025-03-10T12:00:00Z');
  const days = (n: number) => new Date(now.getTime() + n * 24 * 3600 * 1000);

  it('is active without an end, in follow-up before it, ended after', () => {
    expect(careStatus(null, now)).toBe('active');
    expect(careStatus(days(3), now)).toBe('follow_up');
    expect(careStatus(now, now)).toBe('ended');
  });

  it('counts the follow-up from the last consultation, never into the past', () => {
    expect(followUpEnd(days(-2), now, 30)).toEqual(days(28));
    expect(followUpEnd(days(-40), now, 30)).toEqual(now);
    expect(followUpEnd(null, now, 30)).toEqual(now);
    expect(followUpEnd(days(-1), now, 0)).toEqual(now);
  });

  it('never extends an end set earlier', () => {
    expect(earlierEnd(null, days(5))).toEqual(days(5));
    expect(earlierEnd(days(2), days(5))).toEqual(days(2));
    expect(earlierEnd(days(9), days(5))).toEqual(days(5));
  });
});
