import type { ThrottlerStorage } from '@nestjs/throttler';
import { ResilientThrottlerStorage } from './resilient-throttler.storage';

describe('ResilientThrottlerStorage', () => {
  const down: ThrottlerStorage = {
    increment: () => Promise.reject(new Error('Connection is closed.')),
  };

  it('passes records through while the storage answers', async () => {
    const record = { totalHits: 3, timeToExpire: 10, isBlocked: true, timeToBlockExpire: 5 };
    const storage = new ResilientThrottlerStorage({ increment: () => Promise.resolve(record) });
    await expect(storage.increment('k', 60_000, 5, 0, 'default')).resolves.toBe(record);
  });

  it('fails open for general throttlers when the storage is unreachable', async () => {
    const storage = new ResilientThrottlerStorage(down);
    await expect(storage.increment('k', 60_000, 5, 0, 'default')).resolves.toMatchObject({
      isBlocked: false,
      timeToExpire: 60,
    });
    await expect(storage.increment('k', 60_000, 5, 0, 'default')).resolves.toMatchObject({
      isBlocked: false,
    });
  });

  it('fails closed for credential throttlers', async () => {
    const storage = new ResilientThrottlerStorage(down);
    await expect(storage.increment('k', 60_000, 5, 0, 'auth')).rejects.toThrow(
      'Connection is closed.',
    );
  });
});
