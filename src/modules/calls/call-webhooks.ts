import type { WebhookEvent } from '../webhooks/webhook-events';
import { type CallEvent, type CallSnapshot, type CallType, TERMINAL } from './call-state-machine';

// The webhook events of one change to a call (docs/notifications.md#events): what the
// integrator sees of the state machine. Ids, states and times only; never names.
export interface CallWebhook {
  type: WebhookEvent;
  data: Record<string, unknown>;
}

export interface CallIds {
  id: string;
  roomId: string;
  type: CallType;
}

function base(call: CallIds, snapshot: CallSnapshot): Record<string, unknown> {
  return {
    callId: call.id,
    roomId: call.roomId,
    type: call.type,
    callerId: snapshot.callerId,
    calleeIds: snapshot.participants
      .filter((p) => p.userId !== snapshot.callerId)
      .map((p) => p.userId),
    status: snapshot.status,
  };
}

export function callInitiated(call: CallIds, snapshot: CallSnapshot, now: Date): CallWebhook {
  return {
    type: 'call.initiated',
    data: { ...base(call, snapshot), initiatedAt: now.toISOString() },
  };
}

// A change the state machine made (`before` → `next` on `event`): the event's own webhook
// (an answer, a refusal, a cancel, unanswered rings), then `call.ended` when the change ended
// an answered call (the last one hung up, the connection was lost, a group call emptied).
// A group participant leaving a call that goes on is not a call event.
export function callChanged(
  call: CallIds,
  before: CallSnapshot,
  next: CallSnapshot,
  event: CallEvent,
  now: Date,
): CallWebhook[] {
  const at = now.toISOString();
  const data = base(call, next);
  const out: CallWebhook[] = [];
  switch (event.kind) {
    case 'accept':
      out.push({ type: 'call.accepted', data: { ...data, userId: event.by, acceptedAt: at } });
      break;
    case 'reject':
      out.push({ type: 'call.rejected', data: { ...data, userId: event.by, rejectedAt: at } });
      break;
    case 'cancel':
      out.push({ type: 'call.cancelled', data: { ...data, userId: event.by, cancelledAt: at } });
      break;
    case 'timeout': {
      const userIds = before.participants.filter((p) => p.state === 'ringing').map((p) => p.userId);
      out.push({ type: 'call.missed', data: { ...data, userIds, missedAt: at } });
      break;
    }
    case 'end':
    case 'leave':
    case 'fail':
      break;
  }
  if (!TERMINAL.has(before.status) && next.status === 'ended')
    out.push({
      type: 'call.ended',
      data: {
        ...data,
        reason: next.endReason,
        startedAt: next.startedAt?.toISOString() ?? null,
        endedAt: (next.endedAt ?? now).toISOString(),
      },
    });
  // The caller dropping before anyone answered is a cancel too.
  if (event.kind === 'leave' && next.status === 'cancelled')
    out.push({ type: 'call.cancelled', data: { ...data, userId: event.by, cancelledAt: at } });
  return out;
}
