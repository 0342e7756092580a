import { Injectable } from '@nestjs/common';
import { Subject } from 'rxjs';
import type { CallEntity } from './call.entity';

// What happened to a call, published after the transaction committed. The signaling gateway
// turns each change into socket events; this module does not know the gateway exists.
export type CallChange =
  | { kind: 'initiated'; call: CallEntity; sdp?: string }
  | { kind: 'accepted'; call: CallEntity; by: string; sdp?: string; socketId?: string }
  | { kind: 'rejected'; call: CallEntity; by: string }
  | { kind: 'cancelled'; call: CallEntity; by: string }
  | { kind: 'left'; call: CallEntity; by: string }
  | { kind: 'ended'; call: CallEntity }
  | { kind: 'missed'; call: CallEntity; userIds: string[] };

@Injectable()
export class CallEvents {
  readonly changes = new Subject<CallChange>();
}
