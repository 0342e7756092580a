import {
  type CallEvent,
  type CallSnapshot,
  type CallStatus,
  durationSeconds,
  newCall,
  type ParticipantState,
  transition,
} from './call-state-machine';

const T0 = new Date('2026-11-21T10:00:00Z');
const T1 = new Date('2026-11-21T10:00:07Z');
const T2 = new Date('2026-11-21T10:05:07Z');
const CALLER = 'caller';
const A = 'callee-a';
const B = 'callee-b';

function oneToOne(status: CallStatus): CallSnapshot {
  const call = newCall(CALLER, [A], T0);
  switch (status) {
    case 'ringing':
      return call;
    case 'active':
      return expectOk(transition(call, { kind: 'accept', by: A }, T1));
    case 'ended':
      return expectOk(transition(oneToOne('active'), { kind: 'end', by: CALLER }, T2));
    case 'rejected':
      return expectOk(transition(call, { kind: 'reject', by: A }, T1));
    case 'missed':
      return expectOk(transition(call, { kind: 'timeout' }, T1));
    case 'cancelled':
      return expectOk(transition(call, { kind: 'cancel', by: CALLER }, T1));
  }
}

function expectOk(result: ReturnType<typeof transition>): CallSnapshot {
  if (!result.ok) throw new Error(`unexpected refusal: ${result.reason}`);
  return result.call;
}

const STATUSES: CallStatus[] = ['ringing', 'active', 'ended', 'rejected', 'missed', 'cancelled'];
const EVENTS: Record<string, CallEvent> = {
  'accept by callee': { kind: 'accept', by: A },
  'accept by caller': { kind: 'accept', by: CALLER },
  'reject by callee': { kind: 'reject', by: A },
  'cancel by caller': { kind: 'cancel', by: CALLER },
  'cancel by callee': { kind: 'cancel', by: A },
  'end by caller': { kind: 'end', by: CALLER },
  'end by callee': { kind: 'end', by: A },
  'leave by caller': { kind: 'leave', by: CALLER },
  timeout: { kind: 'timeout' },
  fail: { kind: 'fail' },
  'accept by stranger': { kind: 'accept', by: 'stranger' },
};

// Every event in every state of a 1:1 call: the status it leads to, or CONFLICT.
const TABLE: Record<CallStatus, Record<keyof typeof EVENTS, CallStatus | 'CONFLICT'>> = {
  ringing: {
    'accept by callee': 'active',
    'accept by caller': 'CONFLICT',
    'reject by callee': 'rejected',
    'cancel by caller': 'cancelled',
    'cancel by callee': 'CONFLICT',
    'end by caller': 'CONFLICT',
    'end by callee': 'CONFLICT',
    'leave by caller': 'cancelled',
    timeout: 'missed',
    fail: 'ended',
    'accept by stranger': 'CONFLICT',
  },
  active: {
    'accept by callee': 'CONFLICT',
    'accept by caller': 'CONFLICT',
    'reject by callee': 'CONFLICT',
    'cancel by caller': 'CONFLICT',
    'cancel by callee': 'CONFLICT',
    'end by caller': 'ended',
    'end by callee': 'ended',
    'leave by caller': 'ended',
    timeout: 'CONFLICT',
    fail: 'ended',
    'accept by stranger': 'CONFLICT',
  },
  ended: Object.fromEntries(Object.keys(EVENTS).map((k) => [k, 'CONFLICT'])),
  rejected: Object.fromEntries(Object.keys(EVENTS).map((k) => [k, 'CONFLICT'])),
  missed: Object.fromEntries(Object.keys(EVENTS).map((k) => [k, 'CONFLICT'])),
  cancelled: Object.fromEntries(Object.keys(EVENTS).map((k) => [k, 'CONFLICT'])),
};

describe('call state machine: 1:1 table', () => {
  const cases = STATUSES.flatMap((status) =>
    Object.keys(EVENTS).map((name) => [status, name, TABLE[status][name]] as const),
  );

  it.each(cases)('%s + %s → %s', (status, name, expected) => {
    const result = transition(oneToOne(status), EVENTS[name], T2);
    if (expected === 'CONFLICT') expect(result.ok).toBe(false);
    else expect(result.ok && result.call.status).toBe(expected);
  });
});

describe('call state machine: outcomes', () => {
  it('counts the duration from the moment the call became active, with a reason', () => {
    const ended = oneToOne('ended');
    expect(ended).toMatchObject({ startedAt: T1, endedAt: T2, endReason: 'completed' });
    expect(durationSeconds(ended, T2)).toBe(300);
    expect(durationSeconds(oneToOne('ringing'), T2)).toBeNull();
    expect(durationSeconds(oneToOne('active'), T2)).toBe(300);
  });

  it('marks who missed a call and why each call ended', () => {
    expect(oneToOne('missed')).toMatchObject({ endReason: 'missed', startedAt: null });
    expect(oneToOne('missed').participants.find((p) => p.userId === A)?.state).toBe('missed');
    expect(oneToOne('cancelled')).toMatchObject({ endReason: 'cancelled' });
    expect(oneToOne('rejected').participants.find((p) => p.userId === A)?.state).toBe('declined');
    expect(expectOk(transition(oneToOne('active'), { kind: 'fail' }, T2)).endReason).toBe('failed');
  });
});

describe('call state machine: group calls', () => {
  const states = (call: CallSnapshot): Record<string, ParticipantState> =>
    Object.fromEntries(call.participants.map((p) => [p.userId, p.state]));

  it('stays ringing until every callee declined, then is rejected', () => {
    const call = newCall(CALLER, [A, B], T0);
    const oneDeclined = expectOk(transition(call, { kind: 'reject', by: A }, T1));
    expect(oneDeclined.status).toBe('ringing');
    const allDeclined = expectOk(transition(oneDeclined, { kind: 'reject', by: B }, T1));
    expect(allDeclined).toMatchObject({ status: 'rejected', endReason: 'rejected' });
  });

  it('tracks mixed responses and stays active while two are in it', () => {
    let call = newCall(CALLER, [A, B, 'callee-c'], T0);
    call = expectOk(transition(call, { kind: 'accept', by: A }, T1));
    call = expectOk(transition(call, { kind: 'reject', by: B }, T1));
    call = expectOk(transition(call, { kind: 'timeout' }, T1));
    expect(call.status).toBe('active');
    expect(states(call)).toEqual({
      caller: 'joined',
      'callee-a': 'joined',
      'callee-b': 'declined',
      'callee-c': 'missed',
    });
    expect(transition(call, { kind: 'timeout' }, T1).ok).toBe(false);
    const aLeft = expectOk(transition(call, { kind: 'leave', by: A }, T2));
    expect(aLeft).toMatchObject({ status: 'ended', endReason: 'completed' });
  });

  it('lets a late callee join an active call, and a non-caller "end" is a leave', () => {
    let call = newCall(CALLER, [A, B], T0);
    call = expectOk(transition(call, { kind: 'accept', by: A }, T1));
    const callerLeft = expectOk(transition(call, { kind: 'leave', by: CALLER }, T1));
    expect(callerLeft.status).toBe('ended');
    call = expectOk(transition(call, { kind: 'accept', by: B }, T1));
    call = expectOk(transition(call, { kind: 'end', by: A }, T2));
    expect(call.status).toBe('active');
    expect(states(call)['callee-a']).toBe('left');
    call = expectOk(transition(call, { kind: 'end', by: CALLER }, T2));
    expect(call).toMatchObject({ status: 'ended', endReason: 'completed' });
    expect(states(call)).toEqual({ caller: 'left', 'callee-a': 'left', 'callee-b': 'left' });
  });

  it('keeps the caller waiting alone while others still ring', () => {
    let call = newCall(CALLER, [A, B], T0);
    call = expectOk(transition(call, { kind: 'accept', by: A }, T1));
    call = expectOk(transition(call, { kind: 'leave', by: A }, T1));
    expect(call.status).toBe('active');
    // When the last one ringing declines (or times out), the caller is alone: the call ends.
    expect(expectOk(transition(call, { kind: 'reject', by: B }, T1))).toMatchObject({
      status: 'ended',
      endReason: 'completed',
    });
    expect(expectOk(transition(call, { kind: 'timeout' }, T1))).toMatchObject({
      status: 'ended',
      endReason: 'completed',
    });
  });
});
