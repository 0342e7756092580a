// A direct call's ringing state on one device (docs/calls.md, "State machine"), as a pure
// reducer: the call object feeds it what the user did and what the server said, and shows
// the state it returns. The server owns the call's truth; this is what one device shows.
//
//   outgoing ──accepted──▶ active ──ended──▶ ended
//      │ rejected / missed / cancelled (by us) / failed
//   incoming ──accept──▶ active
//      │ answered-elsewhere (another device of ours took it) / rejected (by us) /
//      │ cancelled (caller gave up) / missed (nobody answered in time)

export type CallPhase =
  | 'outgoing'
  | 'incoming'
  | 'active'
  | 'answered-elsewhere'
  | 'rejected'
  | 'cancelled'
  | 'missed'
  | 'ended';

export type CallDirection = 'outgoing' | 'incoming';

export interface CallState {
  callId: string;
  direction: CallDirection;
  phase: CallPhase;
  // Who ended it, for rejected (the callee) and the end reason from the server.
  by?: string;
  reason?: string;
  durationSeconds?: number | null;
}

export type CallEvent =
  | { type: 'accepted'; callId: string; by?: string }
  | { type: 'answered-elsewhere'; callId: string }
  | { type: 'rejected'; callId: string; by?: string }
  | { type: 'cancelled'; callId: string }
  | { type: 'missed'; callId: string }
  | { type: 'participant-left'; callId: string; userId: string }
  | { type: 'ended'; callId: string; reason?: string; durationSeconds?: number | null };

const TERMINAL: ReadonlySet<CallPhase> = new Set([
  'answered-elsewhere',
  'rejected',
  'cancelled',
  'missed',
  'ended',
]);

export function isTerminal(phase: CallPhase): boolean {
  return TERMINAL.has(phase);
}

export function startOutgoing(callId: string): CallState {
  return { callId, direction: 'outgoing', phase: 'outgoing' };
}

export function startIncoming(callId: string): CallState {
  return { callId, direction: 'incoming', phase: 'incoming' };
}

// The next state; an event of another call, or one that comes after the end (the server's
// fan-out can deliver a late `call:missed` after our own `call:end`), leaves it unchanged.
export function nextCallState(state: CallState, event: CallEvent): CallState {
  if (event.callId !== state.callId || isTerminal(state.phase)) return state;
  switch (event.type) {
    case 'accepted':
      // The caller hears `call:accepted`; the callee's own accept also lands here.
      return state.phase === 'active' ? state : { ...state, phase: 'active', by: event.by };
    case 'answered-elsewhere':
      // Only a device that was ringing can be answered elsewhere.
      return state.phase === 'incoming' ? { ...state, phase: 'answered-elsewhere' } : state;
    case 'rejected':
      return { ...state, phase: 'rejected', by: event.by };
    case 'cancelled':
      return { ...state, phase: 'cancelled' };
    case 'missed':
      return state.phase === 'active' ? state : { ...state, phase: 'missed' };
    case 'participant-left':
      // A group call goes on when one callee hangs up.
      return state;
    case 'ended':
      return {
        ...state,
        phase: 'ended',
        reason: event.reason,
        durationSeconds: event.durationSeconds,
      };
  }
}
