import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AppConfig } from '../../config/app-config';
import { CallPushes } from '../devices/call-pushes';
import type { CallEvent, CallSnapshot } from './call-state-machine';

export interface IncomingCallNotice {
  callId: string;
  calleeId: string;
  callerId: string;
  type: 'audio' | 'video';
}

// Users who stopped ringing in one change, and why (the `reason` of the `call.ended` push).
export interface StoppedRingingNotice {
  callId: string;
  userIds: string[];
  reason: 'answered' | 'declined' | 'cancelled' | 'missed' | 'ended';
}

// Reaches callees with no connected device while their call rings, and stops that ringing
// when it ends for them. Both run in the transaction of the change.
export abstract class CallNotifier {
  abstract incoming(notice: IncomingCallNotice, manager: EntityManager): Promise<void>;
  abstract stopped(notice: StoppedRingingNotice, manager: EntityManager): Promise<void>;
}

// Default: push through the outbox to the callee's registered devices (devices module): a
// `call.incoming` that expires with the ring, then a `call.ended` to the devices that were
// pushed the call (docs/notifications.md#push).
@Injectable()
export class PushCallNotifier extends CallNotifier {
  constructor(
    private readonly pushes: CallPushes,
    private readonly config: AppConfig,
  ) {
    super();
  }

  async incoming(notice: IncomingCallNotice, manager: EntityManager): Promise<void> {
    await this.pushes.ringing(manager, {
      callId: notice.callId,
      userId: notice.calleeId,
      callerId: notice.callerId,
      type: notice.type,
      expiresAt: new Date(Date.now() + this.config.calls.ringTimeoutSeconds * 1000),
    });
  }

  async stopped(notice: StoppedRingingNotice, manager: EntityManager): Promise<void> {
    await this.pushes.stopped(manager, notice);
  }
}

const REASON: Record<CallEvent['kind'], StoppedRingingNotice['reason']> = {
  accept: 'answered',
  reject: 'declined',
  cancel: 'cancelled',
  timeout: 'missed',
  end: 'ended',
  leave: 'ended',
  fail: 'ended',
};

// Who was ringing before a change and is not after it: the callee who answered or declined
// (their other devices still ring), every callee of a cancelled call, those a timeout missed.
export function stoppedRinging(
  callId: string,
  before: CallSnapshot,
  next: CallSnapshot,
  event: CallEvent,
): StoppedRingingNotice | undefined {
  const still = new Set(
    next.participants.filter((p) => p.state === 'ringing').map((p) => p.userId),
  );
  const userIds = before.participants
    .filter((p) => p.state === 'ringing' && !still.has(p.userId))
    .map((p) => p.userId);
  return userIds.length ? { callId, userIds, reason: REASON[event.kind] } : undefined;
}
