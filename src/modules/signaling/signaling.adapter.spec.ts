import type { Redis } from 'ioredis';
import { guardPublish } from './signaling.adapter';

describe('guardPublish', () => {
  it('turns publish failures into a resolved 0 instead of an unhandled rejection', async () => {
    let fail = true;
    const client = {
      publish: (_channel: string, _message: string): Promise<number> =>
        fail ? Promise.reject(new Error('Connection is closed.')) : Promise.resolve(2),
    } as unknown as Redis;
    const guarded = guardPublish(client);
    await expect(guarded.publish('c', 'm')).resolves.toBe(0);
    await expect(guarded.publish('c', 'm')).resolves.toBe(0);
    fail = false;
    await expect(guarded.publish('c', 'm')).resolves.toBe(2);
  });
});
