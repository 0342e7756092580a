import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { KeyValueStore } from '../../infra/redis/key-value.store';

export type RateVerdict = 'ok' | 'limited' | 'abusive';

interface UserWindow {
  window: number;
  // Events of this user counted here in the window.
  used: number;
  // Budget this instance has claimed from the shared counter in the window.
  claimed: number;
  // The shared counter at the last claim, less this instance's claims: what the other
  // instances had claimed by then (at least what they had used).
  others: number;
}

// Fixed one-second windows. Per socket the count is local (a socket lives on one instance).
// Per user the budget is shared by all instances through the KeyValueStore, claimed in blocks
// of a tenth of the user's budget: an event costs a round trip to the shared counter only when
// this instance has used up its block, not every time. The user's count is this instance's
// events plus everything the others have claimed, so a user spread over several instances is
// limited a little early rather than late. Twice the budget in a window marks the socket as
// abusive: it is disconnected.
@Injectable()
export class SignalingRateLimiter {
  private readonly perSocket = new Map<string, { window: number; count: number }>();
  private readonly perUser = new Map<string, UserWindow>();

  constructor(
    private readonly config: AppConfig,
    private readonly store: KeyValueStore,
  ) {}

  // Users get a few sockets' worth: a phone and a laptop in the same consultation.
  static readonly USER_FACTOR = 3;
  static readonly CLAIMS_PER_WINDOW = 10;

  // The verdict at once when this instance's block of the user's budget covers the event (the
  // usual case), or a promise when a new block must be claimed from the shared counter.
  check(
    socketId: string,
    userId: string,
    now: number = Date.now(),
  ): RateVerdict | Promise<RateVerdict> {
    const limit = this.config.signaling.eventsPerSecond;
    const window = Math.floor(now / 1000);
    const entry = this.perSocket.get(socketId);
    const count = entry && entry.window === window ? entry.count + 1 : 1;
    this.perSocket.set(socketId, { window, count });
    const socketVerdict = verdict(count, limit);
    if (socketVerdict !== 'ok') return socketVerdict;
    const userLimit = limit * SignalingRateLimiter.USER_FACTOR;
    const users = this.userCount(userId, window, limit);
    return typeof users === 'number'
      ? verdict(users, userLimit)
      : users.then((n) => verdict(n, userLimit));
  }

  forget(socketId: string): void {
    this.perSocket.delete(socketId);
  }

  private userCount(userId: string, window: number, limit: number): number | Promise<number> {
    let entry = this.perUser.get(userId);
    if (!entry || entry.window !== window) {
      if (!entry) this.sweep(window);
      entry = { window, used: 0, claimed: 0, others: 0 };
      this.perUser.set(userId, entry);
    }
    entry.used++;
    if (entry.used > entry.claimed) return this.claim(entry, userId, window, limit);
    return entry.others + entry.used;
  }

  private async claim(
    entry: UserWindow,
    userId: string,
    window: number,
    limit: number,
  ): Promise<number> {
    const block = Math.max(
      1,
      Math.floor(
        (limit * SignalingRateLimiter.USER_FACTOR) / SignalingRateLimiter.CLAIMS_PER_WINDOW,
      ),
    );
    const claimed = entry.claimed + block;
    entry.claimed = claimed;
    try {
      const total = await this.store.increment(`signaling:rate:${userId}:${window}`, 2, block);
      entry.others = Math.max(entry.others, total - claimed);
    } catch (err) {
      // The block was not claimed: the next event tries again.
      entry.claimed -= block;
      throw err;
    }
    return entry.others + entry.used;
  }

  // Users seen in an older window are forgotten when a new user arrives.
  private sweep(window: number): void {
    if (this.perUser.size < 1024) return;
    for (const [userId, entry] of this.perUser)
      if (entry.window < window) this.perUser.delete(userId);
  }
}

function verdict(count: number, limit: number): RateVerdict {
  if (count > 2 * limit) return 'abusive';
  if (count > limit) return 'limited';
  return 'ok';
}
