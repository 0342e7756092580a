import { stoppedRinging } from './call-notifier';
import { newCall, transition, type CallSnapshot } from './call-state-machine';

const at = new Date('2030-01-01T00:00:00Z');

function next(before: CallSnapshot, event: Parameters<typeof transition>[1]): CallSnapshot {
  const t = transition(before, event, at);
  if (!t.ok) throw new Error(t.reason);
  return t.call;
}

describe('stoppedRinging', () => {
  it('names every callee still ringing when the caller cancels', () => {
    const before = newCall('a', ['b', 'c'], at);
    expect(
      stoppedRinging('call', before, next(before, { kind: 'cancel', by: 'a' }), {
        kind: 'cancel',
        by: 'a',
      }),
    ).toEqual({
      callId: 'call',
      userIds: ['b', 'c'],
      reason: 'cancelled',
    });
  });

  it('names the callee who answered (their other devices stop) and nobody else', () => {
    const before = newCall('a', ['b'], at);
    const event = { kind: 'accept', by: 'b' } as const;
    expect(stoppedRinging('call', before, next(before, event), event)).toMatchObject({
      userIds: ['b'],
      reason: 'answered',
    });
  });

  it('names those a timeout missed, and nobody when nobody was ringing', () => {
    const before = newCall('a', ['b'], at);
    const missed = next(before, { kind: 'timeout' });
    expect(stoppedRinging('call', before, missed, { kind: 'timeout' })?.reason).toBe('missed');
    expect(stoppedRinging('call', missed, missed, { kind: 'timeout' })).toBeUndefined();
  });
});
