import {
  type CallState,
  isTerminal,
  nextCallState,
  startIncoming,
  startOutgoing,
} from '../../packages/client/src/ringing';

// The ringing state machine of one device (docs/sdk.md, "Direct calls").
describe('sdk ringing: outgoing', () => {
  it('becomes active when a callee answers, then ended with the server’s reason', () => {
    let s: CallState = startOutgoing('c1');
    s = nextCallState(s, { type: 'accepted', callId: 'c1', by: 'u2' });
    expect(s).toMatchObject({ phase: 'active', by: 'u2', direction: 'outgoing' });
    s = nextCallState(s, { type: 'ended', callId: 'c1', reason: 'hung-up', durationSeconds: 42 });
    expect(s).toMatchObject({ phase: 'ended', reason: 'hung-up', durationSeconds: 42 });
  });

  it.each([
    [{ type: 'rejected', callId: 'c1', by: 'u2' } as const, 'rejected'],
    [{ type: 'missed', callId: 'c1' } as const, 'missed'],
    [{ type: 'cancelled', callId: 'c1' } as const, 'cancelled'],
  ])('ends on %o while ringing', (event, phase) => {
    expect(nextCallState(startOutgoing('c1'), event).phase).toBe(phase);
  });

  it('is not "answered elsewhere" (only a ringing callee device is)', () => {
    const s = startOutgoing('c1');
    expect(nextCallState(s, { type: 'answered-elsewhere', callId: 'c1' })).toBe(s);
  });
});

describe('sdk ringing: incoming', () => {
  it('stops ringing when another device of ours answered', () => {
    const s = nextCallState(startIncoming('c1'), { type: 'answered-elsewhere', callId: 'c1' });
    expect(s.phase).toBe('answered-elsewhere');
    expect(isTerminal(s.phase)).toBe(true);
  });

  it('is missed when nobody answers, cancelled when the caller gives up', () => {
    expect(nextCallState(startIncoming('c1'), { type: 'missed', callId: 'c1' }).phase).toBe(
      'missed',
    );
    expect(nextCallState(startIncoming('c1'), { type: 'cancelled', callId: 'c1' }).phase).toBe(
      'cancelled',
    );
  });

  it('ignores late and foreign events: a missed after the answer, another call’s events, anything after the end', () => {
    const active = nextCallState(startIncoming('c1'), { type: 'accepted', callId: 'c1' });
    expect(nextCallState(active, { type: 'missed', callId: 'c1' })).toBe(active);
    expect(nextCallState(active, { type: 'accepted', callId: 'c1' })).toBe(active);
    expect(nextCallState(active, { type: 'ended', callId: 'c2' })).toBe(active);
    expect(nextCallState(active, { type: 'participant-left', callId: 'c1', userId: 'u3' })).toBe(
      active,
    );
    const ended = nextCallState(active, { type: 'ended', callId: 'c1', reason: 'hung-up' });
    expect(nextCallState(ended, { type: 'accepted', callId: 'c1' })).toBe(ended);
    expect(nextCallState(ended, { type: 'missed', callId: 'c1' })).toBe(ended);
  });
});
