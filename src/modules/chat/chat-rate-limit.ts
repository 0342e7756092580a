import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { KeyValueStore } from '../../infra/redis/key-value.store';
import { ChatErrors, ChatRefusal } from './chat.errors';

const WINDOW_SECONDS = 60;

// Messages per user and per room in fixed one-minute windows, counted in the shared store so
// that the limits hold across instances. A refusal says which limit and when to retry.
@Injectable()
export class ChatRateLimit {
  constructor(
    private readonly store: KeyValueStore,
    private readonly config: AppConfig,
  ) {}

  async admit(userId: string, roomId: string, now = Date.now()): Promise<void> {
    const window = Math.floor(now / 1000 / WINDOW_SECONDS);
    const retryAfter = Math.max(1, (window + 1) * WINDOW_SECONDS - Math.floor(now / 1000));
    const { userMessagesPerMinute, roomMessagesPerMinute } = this.config.chat;
    const [user, room] = await Promise.all([
      this.store.increment(`chat:rate:user:${userId}:${window}`, WINDOW_SECONDS + 1),
      this.store.increment(`chat:rate:room:${roomId}:${window}`, WINDOW_SECONDS + 1),
    ]);
    if (user > userMessagesPerMinute) throw ChatErrors.rate(ChatRefusal.UserRate, retryAfter);
    if (room > roomMessagesPerMinute) throw ChatErrors.rate(ChatRefusal.RoomRate, retryAfter);
  }
}
