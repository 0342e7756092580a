import { Injectable } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { ChatEvents } from '../chat/chat-events';
import { SignalingServer, USER_CHANNEL } from './signaling-socket';

// The chat's events turned into socket events (docs/signaling.md, "Chat"): each goes to every
// device of the users the chat module named (its audience at that moment). Messages arrive on
// every instance through the chat's own channel, in each room's `seq` order (ChatEvents), and
// each instance emits them to the devices connected to it only (`local`), so every device
// hears a room's messages in that order. Typing and receipts go through the Socket.IO Redis
// adapter, to whichever instance the devices are on.
@Injectable()
export class ChatFanout {
  private subscriptions: Subscription[] = [];

  constructor(
    private readonly server: SignalingServer,
    private readonly events: ChatEvents,
  ) {}

  start(): void {
    this.subscriptions = [
      this.events.message.subscribe((e) => {
        if (e.recipientIds.length === 0) return;
        this.server.io.local.to(e.recipientIds.map(USER_CHANNEL)).emit('chat:message', {
          message: e.message,
        });
      }),
      this.events.typing.subscribe((e) => {
        if (e.recipientIds.length === 0) return;
        this.server.io
          .to(e.recipientIds.map(USER_CHANNEL))
          .emit('chat:typing', { roomId: e.roomId, userId: e.userId });
      }),
      this.events.read.subscribe((e) => {
        if (e.recipientIds.length === 0) return;
        this.server.io
          .to(e.recipientIds.map(USER_CHANNEL))
          .emit('chat:read', { roomId: e.roomId, userId: e.userId, messageId: e.messageId });
      }),
    ];
  }

  stop(): void {
    for (const s of this.subscriptions) s.unsubscribe();
    this.subscriptions = [];
  }
}
