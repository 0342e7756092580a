import { SocketQueue } from './socket-queue';

describe('SocketQueue', () => {
  it('runs one key’s work in the order it was queued, even when earlier work is slower', async () => {
    const queue = new SocketQueue<object>();
    const key = {};
    const order: number[] = [];
    let release!: () => void;
    const slow = queue.run(key, async () => {
      await new Promise<void>((r) => (release = r));
      order.push(1);
    });
    const fast = queue.run(key, () => {
      order.push(2);
      return Promise.resolve();
    });
    expect(queue.busy(key)).toBe(true);
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual([]);
    release();
    await Promise.all([slow, fast]);
    expect(order).toEqual([1, 2]);
  });

  it('goes on past a failure and is idle once everything ran', async () => {
    const queue = new SocketQueue<object>();
    const key = {};
    const failed = queue.run(key, () => Promise.reject(new Error('boom')));
    const after = queue.run(key, () => Promise.resolve('ran'));
    await expect(failed).rejects.toThrow('boom');
    await expect(after).resolves.toBe('ran');
    await Promise.resolve();
    expect(queue.busy(key)).toBe(false);
  });

  it('keeps keys apart', async () => {
    const queue = new SocketQueue<object>();
    let release!: () => void;
    const held = queue.run({}, () => new Promise<void>((r) => (release = r)));
    await expect(queue.run({}, () => Promise.resolve(2))).resolves.toBe(2);
    release();
    await held;
  });
});
