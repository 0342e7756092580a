import { Injectable } from '@nestjs/common';
import { Subject } from 'rxjs';
import type { ChatMessageResponse } from './dto/chat.dto';

// Domain events of the chat, published after their transaction committed (or, for typing,
// once the sender's standing was checked). Each names who may hear it, decided with the
// message: the signaling edge tells those users' devices, wherever they are connected.
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

@Injectable()
export class ChatEvents {
  readonly message = new Subject<ChatMessageEvent>();
  readonly typing = new Subject<ChatSignalEvent>();
  readonly read = new Subject<ChatReadEvent>();
}
