import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { KeyValueStore } from '../../infra/redis/key-value.store';

export type RateVerdict = 'ok' | 'limited' | 'abusive';

// Fixed one-second windows. Per socket the count is local (a socket lives on one instance);
// per user it is in the KeyValueStore so that a user's sockets on several instances share
// one budget. Twice the budget in a window marks the socket as abusive: it is disconnected.
@Injectable()
export class SignalingRateLimiter {
  private readonly perSocket = new Map<string, { window: number; count: number }>();

  constructor(
    private readonly config: AppConfig,
    private readonly store: KeyValueStore,
  ) {}

  // Users get a few sockets' worth: a phone and a laptop in the same consultation.
  static readonly USER_FACTOR = 3;

  async check(socketId: string, userId: string, now: number = Date.now()): Promise<RateVerdict> {
    const limit = this.config.signaling.eventsPerSecond;
    const window = Math.floor(now / 1000);
    const entry = this.perSocket.get(socketId);
    const count = entry && entry.window === window ? entry.count + 1 : 1;
    this.perSocket.set(socketId, { window, count });
    const socketVerdict = verdict(count, limit);
    if (socketVerdict !== 'ok') return socketVerdict;
    const userCount = await this.store.increment(`signaling:rate:${userId}:${window}`, 2);
    return verdict(userCount, limit * SignalingRateLimiter.USER_FACTOR);
  }

  forget(socketId: string): void {
    this.perSocket.delete(socketId);
  }
}

function verdict(count: number, limit: number): RateVerdict {
  if (count > 2 * limit) return 'abusive';
  if (count > limit) return 'limited';
  return 'ok';
}
