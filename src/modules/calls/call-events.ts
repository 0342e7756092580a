import { Injectable } from '@nestjs/common';
import { Subject } from 'rxjs';
import {
  type CallStatus,
  type CallType,
  durationSeconds,
  type EndReason,
  type ParticipantState,
} from './call-state-machine';
import type { CallEntity } from './call.entity';

// A call as its domain events carry it: plain values, no entity.
export interface CallView {
  id: string;
  roomId: string;
  callerId: string;
  type: CallType;
  status: CallStatus;
  endReason: EndReason | null;
  // Null until it was answered.
  durationSeconds: number | null;
  participants: { userId: string; state: ParticipantState }[];
}

// What happened to a call, published only after its transaction committed. The signaling edge
// turns each change into socket events; this module does not know the edge exists.
// `viaSignaling` marks an accept made over a signaling socket: the edge that made it joins the
// devices and announces it from its handler (it knows the socket), so subscribers skip it.
export type CallChange =
  | { kind: 'initiated'; call: CallView; sdp?: string }
  | { kind: 'accepted'; call: CallView; by: string; sdp?: string; viaSignaling: boolean }
  | { kind: 'rejected'; call: CallView; by: string }
  | { kind: 'cancelled'; call: CallView; by: string }
  | { kind: 'left'; call: CallView; by: string }
  | { kind: 'ended'; call: CallView }
  | { kind: 'missed'; call: CallView; userIds: string[] };

export function toCallView(call: CallEntity, now: Date = new Date()): CallView {
  return {
    id: call.id,
    roomId: call.roomId,
    callerId: call.callerId,
    type: call.type,
    status: call.status,
    endReason: call.endReason,
    durationSeconds: durationSeconds(call, call.endedAt ?? now),
    participants: (call.participants ?? []).map((p) => ({ userId: p.userId, state: p.state })),
  };
}

@Injectable()
export class CallEvents {
  readonly changes = new Subject<CallChange>();
}
