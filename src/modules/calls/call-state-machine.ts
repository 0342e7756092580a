// The one place that decides how a direct call moves (docs/calls.md). Pure: it takes a
// snapshot and an event and returns the next snapshot, or a refusal that the service turns
// into CONFLICT. Persistence, locking and notifications live in the service around it.

export type CallStatus = 'ringing' | 'active' | 'ended' | 'rejected' | 'missed' | 'cancelled';
export type ParticipantState = 'ringing' | 'joined' | 'declined' | 'left' | 'missed';
export type EndReason = 'completed' | 'rejected' | 'missed' | 'cancelled' | 'failed';
export type CallType = 'audio' | 'video';

export interface CallParticipant {
  userId: string;
  state: ParticipantState;
  joinedAt: Date | null;
  leftAt: Date | null;
}

export interface CallSnapshot {
  callerId: string;
  group: boolean;
  status: CallStatus;
  participants: CallParticipant[];
  startedAt: Date | null;
  endedAt: Date | null;
  endReason: EndReason | null;
}

export type CallEvent =
  | { kind: 'accept'; by: string }
  | { kind: 'reject'; by: string }
  | { kind: 'cancel'; by: string }
  | { kind: 'end'; by: string }
  | { kind: 'leave'; by: string }
  | { kind: 'timeout' }
  | { kind: 'fail' };

export const TERMINAL: ReadonlySet<CallStatus> = new Set([
  'ended',
  'rejected',
  'missed',
  'cancelled',
]);

export type Transition = { ok: true; call: CallSnapshot } | { ok: false; reason: string };

const refuse = (reason: string): Transition => ({ ok: false, reason });

function withParticipant(
  call: CallSnapshot,
  userId: string,
  change: Partial<CallParticipant>,
): CallSnapshot {
  return {
    ...call,
    participants: call.participants.map((p) => (p.userId === userId ? { ...p, ...change } : p)),
  };
}

function finish(
  call: CallSnapshot,
  status: CallStatus,
  reason: EndReason,
  now: Date,
): CallSnapshot {
  return {
    ...call,
    status,
    endReason: reason,
    endedAt: now,
    participants: call.participants.map((p) => {
      if (p.state === 'ringing') return { ...p, state: 'missed' };
      if (p.state === 'joined') return { ...p, state: 'left', leftAt: now };
      return p;
    }),
  };
}

const joined = (call: CallSnapshot): number =>
  call.participants.filter((p) => p.state === 'joined').length;
const ringing = (call: CallSnapshot): number =>
  call.participants.filter((p) => p.state === 'ringing').length;

export function transition(call: CallSnapshot, event: CallEvent, now: Date): Transition {
  if (TERMINAL.has(call.status)) return refuse(`the call is already ${call.status}`);
  const status = call.status as 'ringing' | 'active';

  switch (event.kind) {
    case 'timeout': {
      if (status === 'ringing') return { ok: true, call: finish(call, 'missed', 'missed', now) };
      // An active group call stops ringing the ones who never answered.
      if (ringing(call) === 0) return refuse('nobody is ringing');
      const next: CallSnapshot = {
        ...call,
        participants: call.participants.map((p) =>
          p.state === 'ringing' ? { ...p, state: 'missed' } : p,
        ),
      };
      return settle(next, now);
    }
    case 'fail':
      return { ok: true, call: finish(call, 'ended', 'failed', now) };
    case 'accept':
    case 'reject':
    case 'cancel':
    case 'end':
    case 'leave':
      break;
  }

  const who = call.participants.find((p) => p.userId === event.by);
  if (!who) return refuse('not a participant of this call');

  switch (event.kind) {
    case 'accept': {
      if (who.state !== 'ringing') return refuse(`cannot accept while ${who.state}`);
      const next = withParticipant(call, who.userId, { state: 'joined', joinedAt: now });
      return {
        ok: true,
        call: status === 'ringing' ? { ...next, status: 'active', startedAt: now } : next,
      };
    }
    case 'reject': {
      if (who.state !== 'ringing') return refuse(`cannot reject while ${who.state}`);
      const next = withParticipant(call, who.userId, { state: 'declined' });
      // The caller is joined from the start, so "nobody answered" means exactly one joined.
      if (status === 'ringing' && ringing(next) === 0)
        return { ok: true, call: finish(next, 'rejected', 'rejected', now) };
      return status === 'active' ? settle(next, now) : { ok: true, call: next };
    }
    case 'cancel': {
      if (who.userId !== call.callerId) return refuse('only the caller can cancel');
      if (status !== 'ringing') return refuse('an answered call is ended, not cancelled');
      return { ok: true, call: finish(call, 'cancelled', 'cancelled', now) };
    }
    case 'end': {
      if (status !== 'active') return refuse('a ringing call is cancelled or rejected, not ended');
      if (who.state !== 'joined') return refuse(`cannot end while ${who.state}`);
      // In a group call only the caller ends it for everyone; anyone else leaves.
      if (call.group && who.userId !== call.callerId) return leave(call, who.userId, now);
      return { ok: true, call: finish(call, 'ended', 'completed', now) };
    }
    case 'leave': {
      if (who.state !== 'joined') return refuse(`cannot leave while ${who.state}`);
      if (status === 'ringing') {
        // The caller hanging up before anyone answered is a cancel.
        return { ok: true, call: finish(call, 'cancelled', 'cancelled', now) };
      }
      return leave(call, who.userId, now);
    }
  }
}

// An active call stays active while at least two participants are in it (or someone is still
// being rung and the caller is there to meet them).
function leave(call: CallSnapshot, userId: string, now: Date): Transition {
  return settle(withParticipant(call, userId, { state: 'left', leftAt: now }), now);
}

function settle(call: CallSnapshot, now: Date): Transition {
  const callerStillIn = call.participants.some(
    (p) => p.userId === call.callerId && p.state === 'joined',
  );
  if (joined(call) >= 2 || (joined(call) === 1 && callerStillIn && ringing(call) > 0))
    return { ok: true, call };
  return { ok: true, call: finish(call, 'ended', 'completed', now) };
}

export function durationSeconds(
  call: Pick<CallSnapshot, 'startedAt' | 'endedAt'>,
  now: Date,
): number | null {
  if (!call.startedAt) return null;
  return Math.max(
    0,
    Math.round(((call.endedAt ?? now).getTime() - call.startedAt.getTime()) / 1000),
  );
}

export function newCall(callerId: string, calleeIds: string[], now: Date): CallSnapshot {
  return {
    callerId,
    group: calleeIds.length > 1,
    status: 'ringing',
    startedAt: null,
    endedAt: null,
    endReason: null,
    participants: [
      { userId: callerId, state: 'joined', joinedAt: now, leftAt: null },
      ...calleeIds.map((userId) => ({
        userId,
        state: 'ringing' as const,
        joinedAt: null,
        leftAt: null,
      })),
    ],
  };
}
