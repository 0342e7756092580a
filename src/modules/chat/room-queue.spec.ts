import { GroupQueue, type Outcome } from './room-queue';

describe('GroupQueue', () => {
  it('works one key’s jobs in groups, one group at a time, in order; those that wait form the next group', async () => {
    const groups: string[][] = [];
    let running = 0;
    const q = new GroupQueue<string, string>(async (key, items) => {
      running += 1;
      expect(running).toBe(1);
      groups.push(items);
      await new Promise((r) => setImmediate(r));
      running -= 1;
      return items.map((item): Outcome<string> =>
        item === 'bad'
          ? { ok: false, error: new Error(item) }
          : { ok: true, value: `${key}:${item}` },
      );
    });
    const results = await Promise.allSettled(
      ['a', 'b', 'bad', 'c'].map((item) => q.run('room', item)),
    );
    expect(groups).toEqual([['a'], ['b', 'bad', 'c']]);
    expect(
      results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message)),
    ).toEqual(['room:a', 'room:b', 'bad', 'room:c']);
    expect(q.size).toBe(0);
  });

  it('refuses a whole group whose work throws, and goes on with the next', async () => {
    let calls = 0;
    const q = new GroupQueue<number, number>(async (_key, items) => {
      calls += 1;
      await new Promise((r) => setImmediate(r));
      if (calls === 1) throw new Error('database away');
      return items.map((n) => ({ ok: true, value: n * 2 }));
    });
    const first = q.run('room', 1);
    const later = [q.run('room', 2), q.run('room', 3)];
    await expect(first).rejects.toThrow('database away');
    await expect(Promise.all(later)).resolves.toEqual([4, 6]);
  });

  it('caps a group at max and runs other keys alongside', async () => {
    const seen: string[] = [];
    const q = new GroupQueue<number, number>(async (key, items) => {
      seen.push(`${key}:${items.length}`);
      await new Promise((r) => setImmediate(r));
      return items.map((n) => ({ ok: true, value: n }));
    }, 2);
    await Promise.all([1, 2, 3, 4, 5].map((n) => q.run('a', n)).concat([q.run('b', 9)]));
    expect(seen).toEqual(['a:1', 'b:1', 'a:2', 'a:2']);
  });
});
