import type { Redis } from 'ioredis';
import { KeyValueStore, PubSub, type Unsubscribe } from './key-value.store';

// INCR that sets the TTL only when it creates the key, in one round trip.
const INCREMENT_WITH_TTL = `
local n = redis.call('INCRBY', KEYS[1], ARGV[2])
if n == tonumber(ARGV[2]) then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return n`;

// The guard's TTL when it exists; otherwise the counter raised (TTL set on creation).
const INCREMENT_UNLESS = `
if redis.call('EXISTS', KEYS[2]) == 1 then return {0, redis.call('TTL', KEYS[2])} end
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return {n, 0}`;

const DELETE_IF_EQUALS = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export class RedisKeyValueStore extends KeyValueStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    super();
  }

  get(key: string): Promise<string | null> {
    return this.redis.get(this.prefix + key);
  }

  async set(key: string, value: string, ttlSeconds?: number): Promise<void> {
    if (ttlSeconds === undefined) await this.redis.set(this.prefix + key, value);
    else await this.redis.set(this.prefix + key, value, 'EX', Math.max(1, Math.ceil(ttlSeconds)));
  }

  async setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean> {
    const result = await this.redis.set(
      this.prefix + key,
      value,
      'EX',
      Math.max(1, Math.ceil(ttlSeconds)),
      'NX',
    );
    return result === 'OK';
  }

  delete(...keys: string[]): Promise<number> {
    if (keys.length === 0) return Promise.resolve(0);
    return this.redis.del(...keys.map((k) => this.prefix + k));
  }

  async increment(key: string, ttlSeconds: number, by = 1): Promise<number> {
    const result = await this.redis.eval(
      INCREMENT_WITH_TTL,
      1,
      this.prefix + key,
      Math.max(1, Math.ceil(ttlSeconds)),
      by,
    );
    return Number(result);
  }

  async incrementUnless(
    key: string,
    ttlSeconds: number,
    guardKey: string,
  ): Promise<{ count: number } | { guardTtl: number }> {
    const [count, guardTtl] = (await this.redis.eval(
      INCREMENT_UNLESS,
      2,
      this.prefix + key,
      this.prefix + guardKey,
      Math.max(1, Math.ceil(ttlSeconds)),
    )) as [number, number];
    return count === 0 ? { guardTtl: Number(guardTtl) } : { count: Number(count) };
  }

  async deleteIfEquals(key: string, value: string): Promise<boolean> {
    return Number(await this.redis.eval(DELETE_IF_EQUALS, 1, this.prefix + key, value)) === 1;
  }

  ttl(key: string): Promise<number> {
    return this.redis.ttl(this.prefix + key);
  }

  async setAdd(key: string, member: string, ttlSeconds?: number): Promise<void> {
    const multi = this.redis.multi().sadd(this.prefix + key, member);
    if (ttlSeconds !== undefined)
      multi.expire(this.prefix + key, Math.max(1, Math.ceil(ttlSeconds)));
    await multi.exec();
  }

  async setRemove(key: string, member: string): Promise<void> {
    await this.redis.srem(this.prefix + key, member);
  }

  setMembers(key: string): Promise<string[]> {
    return this.redis.smembers(this.prefix + key);
  }

  async ping(): Promise<void> {
    await this.redis.ping();
  }
}

// Publishing uses the shared connection; subscribing needs a connection of its own, which
// Redis puts in subscriber mode.
export class RedisPubSub extends PubSub {
  private readonly handlers = new Map<string, Set<(message: string) => void>>();

  constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    private readonly prefix: string,
  ) {
    super();
    this.subscriber.on('message', (channel: string, message: string) => {
      for (const handler of this.handlers.get(channel) ?? []) handler(message);
    });
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.publisher.publish(this.prefix + channel, message);
  }

  async subscribe(channel: string, handler: (message: string) => void): Promise<Unsubscribe> {
    const full = this.prefix + channel;
    let set = this.handlers.get(full);
    if (!set) {
      set = new Set();
      this.handlers.set(full, set);
      await this.subscriber.subscribe(full);
    }
    set.add(handler);
    return async () => {
      const current = this.handlers.get(full);
      if (!current) return;
      current.delete(handler);
      if (current.size === 0) {
        this.handlers.delete(full);
        await this.subscriber.unsubscribe(full);
      }
    };
  }
}
