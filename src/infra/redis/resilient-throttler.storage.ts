import { Logger } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface';

// Throttlers whose limits protect credentials: when their storage (Redis) is unreachable the
// request is refused (503) rather than let through unlimited. Every other throttler fails
// open, so a Redis outage does not take the whole API down with it.
export const FAIL_CLOSED_THROTTLERS = new Set(['auth']);

export class ResilientThrottlerStorage implements ThrottlerStorage {
  private readonly logger = new Logger('RateLimit');
  private warned = false;

  constructor(private readonly inner: ThrottlerStorage) {}

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    try {
      const record = await this.inner.increment(key, ttl, limit, blockDuration, throttlerName);
      this.warned = false;
      return record;
    } catch (error) {
      if (FAIL_CLOSED_THROTTLERS.has(throttlerName)) throw error;
      if (!this.warned) {
        this.logger.warn(
          { err: error instanceof Error ? error.message : String(error) },
          'rate-limit storage unavailable; failing open',
        );
        this.warned = true;
      }
      return {
        totalHits: 0,
        timeToExpire: Math.ceil(ttl / 1000),
        isBlocked: false,
        timeToBlockExpire: 0,
      };
    }
  }
}
