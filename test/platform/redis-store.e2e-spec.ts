import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisKeyValueStore, RedisPubSub } from '../../src/infra/redis/redis.store';
import { deleteRedisKeys } from '../support/test-app';
import { TEST_REDIS_URL } from '../support/test-env';

// The Redis implementations behave like the in-process ones (memory.store.spec.ts), against
// the real server.
describe('Redis-backed stores', () => {
  const prefix = `hekim-test:store:${randomBytes(4).toString('hex')}:`;
  const redis = new Redis(TEST_REDIS_URL);
  const subscriber = new Redis(TEST_REDIS_URL);
  const store = new RedisKeyValueStore(redis, prefix);
  const bus = new RedisPubSub(redis, subscriber, prefix);

  afterAll(async () => {
    await deleteRedisKeys(prefix);
    redis.disconnect();
    subscriber.disconnect();
  });

  it('stores values with TTLs under the prefix', async () => {
    await store.set('a', '1', 30);
    expect(await store.get('a')).toBe('1');
    expect(await redis.get(`${prefix}a`)).toBe('1');
    expect(await store.ttl('a')).toBeGreaterThan(25);
    expect(await store.ttl('missing')).toBe(-2);
    expect(await store.delete('a')).toBe(1);
    expect(await store.delete()).toBe(0);
  });

  it('claims a key once and counts atomically with a TTL set at creation', async () => {
    expect(await store.setIfAbsent('lock', 'x', 10)).toBe(true);
    expect(await store.setIfAbsent('lock', 'y', 10)).toBe(false);
    const counts = await Promise.all(Array.from({ length: 20 }, () => store.increment('n', 60)));
    expect(counts.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(await store.ttl('n')).toBeGreaterThan(55);
  });

  it('keeps sets', async () => {
    await store.setAdd('s', 'a', 60);
    await store.setAdd('s', 'b');
    expect((await store.setMembers('s')).sort()).toEqual(['a', 'b']);
    await store.setRemove('s', 'a');
    expect(await store.setMembers('s')).toEqual(['b']);
    await store.ping();
  });

  it('delivers published messages to subscribers until they leave', async () => {
    const got: string[] = [];
    const received = new Promise<void>((resolve) => {
      void bus
        .subscribe('news', (m) => {
          got.push(m);
          resolve();
        })
        .then(async (unsubscribe) => {
          await bus.publish('news', 'hello');
          await received;
          await unsubscribe();
        });
    });
    await received;
    expect(got).toEqual(['hello']);
  });
});
