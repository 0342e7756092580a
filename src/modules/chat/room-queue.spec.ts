import { KeyedQueue } from './room-queue';

describe('KeyedQueue', () => {
  it('runs one key’s jobs in order, one at a time, even when one fails', async () => {
    const q = new KeyedQueue();
    const log: string[] = [];
    let running = 0;
    const job =
      (name: string, fail = false) =>
      async () => {
        running += 1;
        expect(running).toBe(1);
        await new Promise((r) => setTimeout(r, 5));
        log.push(name);
        running -= 1;
        if (fail) throw new Error(name);
        return name;
      };
    const results = await Promise.allSettled([
      q.run('room', job('a')),
      q.run('room', job('b', true)),
      q.run('room', job('c')),
    ]);
    expect(log).toEqual(['a', 'b', 'c']);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    await new Promise((r) => setImmediate(r));
    expect(q.size).toBe(0);
  });

  it('lets different keys run side by side', async () => {
    const q = new KeyedQueue();
    let release!: () => void;
    const blocked = q.run('a', () => new Promise<void>((r) => (release = r)));
    await expect(q.run('b', () => Promise.resolve('free'))).resolves.toBe('free');
    release();
    await blocked;
  });
});
