import { Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { Subject } from 'rxjs';
import { PubSub, type Unsubscribe } from '../../infra/redis/key-value.store';
import type { ChatMessageResponse } from './dto/chat.dto';

// Domain events of the chat, published after their transaction committed (or, for typing,
// once the sender's standing was checked). Each names who may hear it, decided with the
// message: the signaling edge tells those users' devices.
export interface ChatMessageEvent {
  roomId: string;
  recipientIds: string[];
  message: ChatMessageResponse;
}

export interface ChatSignalEvent {
  roomId: string;
  userId: string;
  recipientIds: string[];
}

export interface ChatReadEvent extends ChatSignalEvent {
  messageId: string;
}

export const CHAT_MESSAGES_CHANNEL = 'chat:messages';

// Messages reach every instance, the sending one included, through one PubSub channel (Redis
// in server mode): Redis hands a channel's publications to every subscriber in the order it
// accepted them, and a room's sender publishes in the room's turn and keeps the turn until
// Redis has accepted the publication (ChatService). So every instance hears a room's messages
// in `seq` order and `message` emits them on each in that order, to the devices connected
// there (docs/chat.md, "Delivery"). Typing and receipts carry no order and go straight to the
// signaling edge.
@Injectable()
export class ChatEvents implements OnApplicationBootstrap, OnModuleDestroy {
  // This instance's share of every instance's messages, in each room's order.
  readonly message = new Subject<ChatMessageEvent>();
  readonly typing = new Subject<ChatSignalEvent>();
  readonly read = new Subject<ChatReadEvent>();
  private unsubscribe: Unsubscribe | undefined;

  constructor(private readonly pubsub: PubSub) {}

  async onApplicationBootstrap(): Promise<void> {
    this.unsubscribe = await this.pubsub.subscribe(CHAT_MESSAGES_CHANNEL, (raw) => {
      for (const event of parseMessages(raw)) this.message.next(event);
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.unsubscribe?.().catch(() => undefined);
  }

  // One room's messages, in their order, to every instance; resolves once Redis accepted them.
  async deliver(
    roomId: string,
    recipientIds: string[],
    messages: ChatMessageResponse[],
  ): Promise<void> {
    if (messages.length === 0 || recipientIds.length === 0) return;
    await this.pubsub.publish(
      CHAT_MESSAGES_CHANNEL,
      JSON.stringify({ roomId, recipientIds, messages }),
    );
  }
}

// What another instance published; Redis is trusted as for the Socket.IO adapter, but a
// publication that is not a batch of messages for named recipients is dropped whole.
export function parseMessages(raw: string): ChatMessageEvent[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return [];
  }
  if (typeof parsed !== 'object' || parsed === null) return [];
  const { roomId, recipientIds, messages } = parsed as Record<string, unknown>;
  if (
    typeof roomId !== 'string' ||
    !Array.isArray(recipientIds) ||
    !recipientIds.every((id) => typeof id === 'string') ||
    !Array.isArray(messages) ||
    !messages.every(
      (m) => typeof m === 'object' && m !== null && (m as { roomId?: unknown }).roomId === roomId,
    )
  )
    return [];
  return (messages as ChatMessageResponse[]).map((message) => ({
    roomId,
    recipientIds: recipientIds,
    message,
  }));
}
