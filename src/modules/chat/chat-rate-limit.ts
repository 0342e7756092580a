import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { KeyValueStore } from '../../infra/redis/key-value.store';
import { ChatErrors, ChatRefusal } from './chat.errors';

const WINDOW_SECONDS = 60;
// A counter claims its budget from the shared store a tenth at a time.
const CLAIMS_PER_WINDOW = 10;
// Counters of windows gone by are swept once this many are kept.
const SWEEP_AT = 4096;

interface Budget {
  window: number;
  // Sends counted here in the window (refused ones too, as before).
  used: number;
  // What this instance has claimed from the shared counter in the window.
  claimed: number;
  // The shared counter at this instance's last claim, less its own claims: what the other
  // instances had claimed by then (at least what they had used).
  others: number;
  // The claim on its way to the shared counter, if any.
  claiming: Promise<void> | null;
}

// Messages per user and per room in fixed one-minute windows (docs/chat.md, "Refusals"),
// shared by the instances through the KeyValueStore. Each counter claims its budget from the
// shared store in blocks of a tenth of the limit, so a send costs a round trip to Redis only
// when this instance has used up its block (SignalingRateLimiter does the same per second).
// A counter's count is this instance's sends plus everything the other instances had claimed
// at this instance's last claim. Bound: never late — the instance that claimed last saw every
// other's claims, and no instance uses more than it claimed, so all instances together admit
// at most the limit in a window; early by at most the unused part of the other instances'
// blocks (less than a tenth of the limit per other instance sending for that user or room).
// On one instance it is exact. A refusal says which limit and when to retry.
@Injectable()
export class ChatRateLimit {
  private readonly budgets = new Map<string, Budget>();

  constructor(
    private readonly store: KeyValueStore,
    private readonly config: AppConfig,
  ) {}

  // At once (no Redis) when this instance's blocks cover the send, else once the shared
  // counters answered. Throws RATE_LIMITED.
  admit(userId: string, roomId: string, now = Date.now()): void | Promise<void> {
    const window = Math.floor(now / 1000 / WINDOW_SECONDS);
    const retryAfter = Math.max(1, (window + 1) * WINDOW_SECONDS - Math.floor(now / 1000));
    const { userMessagesPerMinute, roomMessagesPerMinute } = this.config.chat;
    const user = this.count(`chat:rate:user:${userId}:${window}`, window, userMessagesPerMinute);
    const room = this.count(`chat:rate:room:${roomId}:${window}`, window, roomMessagesPerMinute);
    const judge = (u: number, r: number): void => {
      if (u > userMessagesPerMinute) throw ChatErrors.rate(ChatRefusal.UserRate, retryAfter);
      if (r > roomMessagesPerMinute) throw ChatErrors.rate(ChatRefusal.RoomRate, retryAfter);
    };
    if (typeof user === 'number' && typeof room === 'number') return judge(user, room);
    return Promise.all([user, room]).then(([u, r]) => judge(u, r));
  }

  private count(key: string, window: number, limit: number): number | Promise<number> {
    let b = this.budgets.get(key);
    if (!b || b.window !== window) {
      if (!b) this.sweep(window);
      b = { window, used: 0, claimed: 0, others: 0, claiming: null };
      this.budgets.set(key, b);
    }
    const mine = ++b.used;
    if (b.claiming === null && mine <= b.claimed) return b.others + mine;
    return this.afterClaims(b, key, Math.max(1, Math.floor(limit / CLAIMS_PER_WINDOW)), mine);
  }

  // Judged only with a claim that has been answered: while one is on its way, sends wait for it
  // (so none is admitted on a block whose claim the other instances have not seen yet).
  private async afterClaims(b: Budget, key: string, block: number, mine: number): Promise<number> {
    while (b.claiming) await b.claiming;
    if (mine > b.claimed) {
      // Enough whole blocks for this send (and those counted before it).
      b.claiming = this.claim(b, key, block * Math.ceil((mine - b.claimed) / block));
      try {
        await b.claiming;
      } finally {
        b.claiming = null;
      }
    }
    return b.others + mine;
  }

  private async claim(b: Budget, key: string, amount: number): Promise<void> {
    const total = await this.store.increment(key, WINDOW_SECONDS + 1, amount);
    b.claimed += amount;
    b.others = Math.max(b.others, total - b.claimed);
  }

  private sweep(window: number): void {
    if (this.budgets.size < SWEEP_AT) return;
    for (const [key, b] of this.budgets) if (b.window < window) this.budgets.delete(key);
  }
}
