import { DeliveryError } from '../../outbox/channel-sender';
import { isUuid } from '../../../common/validation/ids';

export enum PushKind {
  // A call rings for this device's user, who has no connected socket.
  CallIncoming = 'call.incoming',
  // The follow-up that stops the ringing: cancelled, missed, answered or declined elsewhere.
  CallEnded = 'call.ended',
}

// What every platform carries (docs/notifications.md#push): ids and a kind, never a name or
// health data. `messageId` is the outbox id: the same on every attempt, so apps drop repeats.
export interface PushBody {
  kind: PushKind;
  messageId: string;
  callId: string;
  callerId?: string;
  callType?: string;
  reason?: string;
}

// Only the members listed here leave, whatever else a payload may hold.
export function pushBody(
  kind: string,
  messageId: string,
  payload: Record<string, unknown>,
): PushBody {
  const text = (v: unknown): string | undefined =>
    typeof v === 'string' && /^[A-Za-z0-9_.:-]{1,64}$/.test(v) ? v : undefined;
  const callId = typeof payload.callId === 'string' && isUuid(payload.callId) ? payload.callId : '';
  if (!callId) throw new DeliveryError('BAD_PAYLOAD', true);
  switch (kind as PushKind) {
    case PushKind.CallIncoming:
      return {
        kind: PushKind.CallIncoming,
        messageId,
        callId,
        callerId: text(payload.callerId),
        callType: text(payload.callType),
      };
    case PushKind.CallEnded:
      return { kind: PushKind.CallEnded, messageId, callId, reason: text(payload.reason) };
    default:
      throw new DeliveryError('UNKNOWN_KIND', true);
  }
}

// The string members of a body (FCM data messages take strings only).
export function flatBody(body: PushBody): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(body)) if (typeof v === 'string') out[k] = v;
  return out;
}

// The provider says this token or subscription will never work again: the device is removed
// and the message dead-lettered.
export class DeadTokenError extends DeliveryError {
  constructor(code: string) {
    super(code, true);
    this.name = 'DeadTokenError';
  }
}

// Seconds a push stays worth delivering (the provider holds it that long while the device is
// offline): until the message's `ttlUntil`, at least 0.
export function ttlSeconds(payload: Record<string, unknown>, now = Date.now()): number {
  const until = typeof payload.ttlUntil === 'string' ? Date.parse(payload.ttlUntil) : NaN;
  if (Number.isNaN(until)) return 0;
  return Math.max(0, Math.floor((until - now) / 1000));
}

// The HTTP status of a provider answer that is worth trying again.
export function retryable(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}
