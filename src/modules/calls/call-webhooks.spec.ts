import { type CallEvent, type CallSnapshot, newCall, transition } from './call-state-machine';
import { callChanged, callInitiated, type CallIds } from './call-webhooks';

const T0 = new Date('2026-11-21T10:00:00Z');
const T1 = new Date('2026-11-21T10:00:07Z');
const T2 = new Date('2026-11-21T10:05:07Z');
const CALL: CallIds = { id: 'call-1', roomId: 'room-1', type: 'video' };
const CALLER = 'caller';
const A = 'callee-a';
const B = 'callee-b';

function step(before: CallSnapshot, event: CallEvent, now: Date) {
  const t = transition(before, event, now);
  if (!t.ok) throw new Error(t.reason);
  return { next: t.call, hooks: callChanged(CALL, before, t.call, event, now) };
}

describe('call webhooks', () => {
  const ringing = newCall(CALLER, [A], T0);
  const active = step(ringing, { kind: 'accept', by: A }, T1).next;

  it('initiated: the ids of the call and of everyone rung', () => {
    expect(callInitiated(CALL, newCall(CALLER, [A, B], T0), T0)).toEqual({
      type: 'call.initiated',
      data: {
        callId: 'call-1',
        roomId: 'room-1',
        type: 'video',
        callerId: CALLER,
        calleeIds: [A, B],
        status: 'ringing',
        initiatedAt: T0.toISOString(),
      },
    });
  });

  it('accept, reject and cancel name who acted and the state the call is in after it', () => {
    expect(step(ringing, { kind: 'accept', by: A }, T1).hooks).toEqual([
      {
        type: 'call.accepted',
        data: expect.objectContaining({
          userId: A,
          status: 'active',
          acceptedAt: T1.toISOString(),
        }),
      },
    ]);
    expect(step(ringing, { kind: 'reject', by: A }, T1).hooks).toEqual([
      {
        type: 'call.rejected',
        data: expect.objectContaining({ userId: A, status: 'rejected' }),
      },
    ]);
    // In a group call one refusal leaves the call ringing the others.
    const group = newCall(CALLER, [A, B], T0);
    expect(step(group, { kind: 'reject', by: A }, T1).hooks).toEqual([
      {
        type: 'call.rejected',
        data: expect.objectContaining({ userId: A, status: 'ringing', calleeIds: [A, B] }),
      },
    ]);
    expect(step(ringing, { kind: 'cancel', by: CALLER }, T1).hooks).toEqual([
      {
        type: 'call.cancelled',
        data: expect.objectContaining({ userId: CALLER, status: 'cancelled' }),
      },
    ]);
  });

  it('a ring that runs out is missed by the ones still ringing', () => {
    expect(step(ringing, { kind: 'timeout' }, T1).hooks).toEqual([
      {
        type: 'call.missed',
        data: expect.objectContaining({
          userIds: [A],
          status: 'missed',
          missedAt: T1.toISOString(),
        }),
      },
    ]);
    // An answered group call stops ringing the others and goes on.
    const group = step(newCall(CALLER, [A, B], T0), { kind: 'accept', by: A }, T1).next;
    expect(step(group, { kind: 'timeout' }, T2).hooks).toEqual([
      { type: 'call.missed', data: expect.objectContaining({ userIds: [B], status: 'active' }) },
    ]);
  });

  it('ended: once, with the reason and both times, when an answered call is over', () => {
    expect(step(active, { kind: 'end', by: CALLER }, T2).hooks).toEqual([
      {
        type: 'call.ended',
        data: expect.objectContaining({
          status: 'ended',
          reason: 'completed',
          startedAt: T1.toISOString(),
          endedAt: T2.toISOString(),
        }),
      },
    ]);
    expect(step(active, { kind: 'fail' }, T2).hooks).toEqual([
      { type: 'call.ended', data: expect.objectContaining({ reason: 'failed' }) },
    ]);
    // A group participant leaving a call that goes on is not a call event; the last one
    // leaving ends it.
    const group = step(
      step(newCall(CALLER, [A, B], T0), { kind: 'accept', by: A }, T1).next,
      { kind: 'accept', by: B },
      T1,
    ).next;
    const afterA = step(group, { kind: 'leave', by: A }, T2);
    expect(afterA.hooks).toEqual([]);
    expect(step(afterA.next, { kind: 'leave', by: B }, T2).hooks).toEqual([
      { type: 'call.ended', data: expect.objectContaining({ reason: 'completed' }) },
    ]);
  });

  it('the caller dropping before an answer cancels; a group refusal that empties the call ends it', () => {
    const group = newCall(CALLER, [A, B], T0);
    expect(step(group, { kind: 'leave', by: CALLER }, T1).hooks).toEqual([
      { type: 'call.cancelled', data: expect.objectContaining({ userId: CALLER }) },
    ]);
    const answered = step(group, { kind: 'accept', by: A }, T1).next;
    const left = step(answered, { kind: 'leave', by: A }, T2);
    expect(left.next.status).toBe('active');
    expect(step(left.next, { kind: 'reject', by: B }, T2).hooks.map((h) => h.type)).toEqual([
      'call.rejected',
      'call.ended',
    ]);
  });

  it('carries ids, states and times only', () => {
    const all = [
      callInitiated(CALL, ringing, T0),
      ...step(ringing, { kind: 'accept', by: A }, T1).hooks,
      ...step(active, { kind: 'end', by: A }, T2).hooks,
    ];
    for (const h of all)
      expect(Object.keys(h.data).sort()).toEqual(
        expect.arrayContaining(['callId', 'callerId', 'calleeIds', 'roomId', 'status', 'type']),
      );
    expect(JSON.stringify(all)).not.toMatch(/name|sdp|email/i);
  });
});
