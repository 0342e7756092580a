import { isEventPattern, matches } from './webhook-events';

describe('webhook event patterns', () => {
  it('accepts known events, known prefixes and *', () => {
    expect(['call.ended', 'call.*', 'appointment.*', '*'].every(isEventPattern)).toBe(true);
    expect(['call.exploded', 'billing.*', 'call', '', 'call.**'].some(isEventPattern)).toBe(false);
  });

  it('matches exact names and prefixes only', () => {
    expect(matches(['call.*'], 'call.ended')).toBe(true);
    expect(matches(['call.*'], 'consent.granted')).toBe(false);
    expect(matches(['consent.granted'], 'consent.withdrawn')).toBe(false);
    expect(matches(['*'], 'session.started')).toBe(true);
  });
});
