import { isEventPattern, matches, subjectsOf } from './webhook-events';

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

  it('names the people an event is about, from the keys that hold person ids', () => {
    const a = '6f1c2a3b-0000-4000-8000-000000000001';
    const b = '6F1C2A3B-0000-4000-8000-000000000002';
    expect(
      subjectsOf({
        type: 'call.missed',
        data: { callId: a, callerId: a, calleeIds: [b, 'not-an-id', 7], roomId: b },
      }),
    ).toEqual([a, b.toLowerCase()]);
    expect(subjectsOf({ type: 'x', data: null })).toEqual([]);
    expect(subjectsOf({ type: 'x' })).toEqual([]);
  });
});
