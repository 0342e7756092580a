import type { OutboxMessageResponse } from './dto/outbox.dto';
import type { OutboxMessageEntity } from './outbox-message.entity';

export function toOutboxMessageResponse(m: OutboxMessageEntity): OutboxMessageResponse {
  return {
    id: m.id,
    channel: m.channel,
    kind: m.kind,
    recipient: m.recipient,
    status: m.status,
    attempts: m.attempts,
    nextAttemptAt: m.nextAttemptAt.toISOString(),
    lastError: m.lastError,
    createdAt: m.createdAt.toISOString(),
    sentAt: m.sentAt?.toISOString() ?? null,
    deadAt: m.deadAt?.toISOString() ?? null,
  };
}
