import { GroupQueue, type Outcome, type Turns } from './room-queue';

// Lets the queue run until `ready` holds (a bounded number of event-loop turns).
async function until(ready: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !ready(); i++) await new Promise((r) => setImmediate(r));
  expect(ready()).toBe(true);
}

// Turns that hold nothing: only the groups' work.
const plain = <I, O>(
  work: (key: string, items: I[]) => Promise<Outcome<O>[]>,
): Turns<I, O, void> => ({
  begin: () => Promise.resolve(),
  work: (_turn, key, items) => work(key, items),
  end: () => Promise.resolve(),
});

describe('GroupQueue', () => {
  it('works one key’s jobs in groups, one group at a time, in order; those that wait form the next group', async () => {
    const groups: string[][] = [];
    let running = 0;
    const q = new GroupQueue<string, string>(
      plain(async (key, items) => {
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
      }),
    );
    const first = q.run('room', 'a');
    await until(() => groups.length === 1);
    const results = await Promise.allSettled([
      first,
      ...['b', 'bad', 'c'].map((item) => q.run('room', item)),
    ]);
    expect(groups).toEqual([['a'], ['b', 'bad', 'c']]);
    expect(
      results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message)),
    ).toEqual(['room:a', 'room:b', 'bad', 'room:c']);
    await until(() => q.size === 0);
  });

  it('refuses a whole group whose work throws, and goes on with the next', async () => {
    let calls = 0;
    const q = new GroupQueue<number, number>(
      plain(async (_key, items) => {
        calls += 1;
        await new Promise((r) => setImmediate(r));
        if (calls === 1) throw new Error('database away');
        return items.map((n) => ({ ok: true, value: n * 2 }));
      }),
    );
    const first = q.run('room', 1);
    await until(() => calls === 1);
    const later = [q.run('room', 2), q.run('room', 3)];
    await expect(first).rejects.toThrow('database away');
    await expect(Promise.all(later)).resolves.toEqual([4, 6]);
  });

  it('caps a group at max and runs other keys alongside', async () => {
    const seen: string[] = [];
    const q = new GroupQueue<number, number>(
      plain(async (key, items) => {
        seen.push(`${key}:${items.length}`);
        await new Promise((r) => setImmediate(r));
        return items.map((n) => ({ ok: true, value: n }));
      }),
      2,
    );
    const jobs = [q.run('a', 1), q.run('b', 9)];
    await until(() => seen.length === 2);
    await Promise.all(jobs.concat([2, 3, 4, 5].map((n) => q.run('a', n))));
    expect(seen).toEqual(['a:1', 'b:1', 'a:2', 'a:2']);
  });

  it('keeps a turn for up to `held` groups while jobs wait, answers each group before the turn goes back, and gives it back after a failure', async () => {
    const log: string[] = [];
    let turns = 0;

    const q = new GroupQueue<number, number, number>(
      {
        begin: async () => {
          turns += 1;
          log.push(`begin ${turns}`);
          await new Promise((r) => setImmediate(r));
          return turns;
        },
        work: async (turn, _key, items) => {
          log.push(`work ${turn}: ${items.join(',')}`);
          await new Promise((r) => setImmediate(r));
          if (items.includes(99)) throw new Error('broken');
          return items.map((n) => ({ ok: true, value: n }));
        },
        end: async (turn) => {
          log.push(`end ${turn}`);
          await new Promise((r) => setImmediate(r));
        },
      },
      64,
      2,
    );
    const answered: number[] = [];
    const send = (n: number): Promise<number> =>
      q.run('room', n).then((v) => {
        log.push(`answered ${v}`);
        answered.push(v);
        return v;
      });
    const jobs = [send(1)];
    await until(() => log.includes('work 1: 1'));
    // While the first group is worked on, two more wait: they are the turn's second group.
    jobs.push(send(2), send(3));
    await until(() => log.includes('work 1: 2,3'));
    // The turn has served two groups: the next one waits for a new turn.
    jobs.push(send(5));
    await Promise.all(jobs);
    expect(log.indexOf('answered 1')).toBeLessThan(log.indexOf('end 1'));
    expect(log.filter((l) => /^(begin|end|work)/.test(l))).toEqual([
      'begin 1',
      'work 1: 1',
      'work 1: 2,3',
      'end 1',
      'begin 2',
      'work 2: 5',
      'end 2',
    ]);

    log.length = 0;
    const failing = send(99).catch((e: Error) => e.message);
    await until(() => log.includes('work 3: 99'));
    const after = send(4);
    await expect(failing).resolves.toBe('broken');
    await expect(after).resolves.toBe(4);
    // The failed group ended its turn; the next group took a new one.
    expect(log.filter((l) => /^(begin|end)/.test(l))).toEqual([
      'begin 3',
      'end 3',
      'begin 4',
      'end 4',
    ]);
    await until(() => q.size === 0);
  });

  it('refuses the group whose turn could not be taken, and goes on', async () => {
    let n = 0;
    const q = new GroupQueue<number, number, void>({
      begin: () => (++n === 1 ? Promise.reject(new Error('no connection')) : Promise.resolve()),
      work: (_t, _k, items) => Promise.resolve(items.map((v) => ({ ok: true, value: v }))),
      end: () => Promise.resolve(),
    });
    // The jobs waiting when the turn was to be taken are refused together.
    const first = [q.run('room', 1), q.run('room', 2)];
    await expect(Promise.all(first)).rejects.toThrow('no connection');
    await expect(Promise.allSettled(first)).resolves.toMatchObject([
      { status: 'rejected' },
      { status: 'rejected' },
    ]);
    await expect(q.run('room', 3)).resolves.toBe(3);
  });

  describe('pipelined (a read before each work, an `after` behind it)', () => {
    // A promise settled from outside.
    const deferred = <T = void>() => {
      let resolve!: (v: T) => void;
      let reject!: (e: unknown) => void;
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    };

    // Turns whose reads, works and afters each wait for the test to let them go, logging what
    // is issued and when.
    const controlled = (alone: (items: number[]) => boolean = () => false) => {
      const log: string[] = [];
      const works: { items: number[]; done: ReturnType<typeof deferred<void>> }[] = [];
      const afters: ReturnType<typeof deferred<void>>[] = [];
      const reads: ReturnType<typeof deferred<void>>[] = [];
      let working = 0;
      let turns = 0;
      const turnsOf: Turns<number, number, number, string> = {
        begin: () => Promise.resolve(++turns),
        read: async (turn, _key, items) => {
          log.push(`read ${turn}: ${items.join(',')}`);
          const read = deferred();
          reads.push(read);
          await read.promise;
          return `room for ${items.join(',')}`;
        },
        alone,
        work: async (turn, _key, items, room) => {
          working += 1;
          // Works never overlap.
          expect(working).toBe(1);
          expect(room).toBe(`room for ${items.join(',')}`);
          log.push(`work ${turn}: ${items.join(',')}`);
          const done = deferred();
          works.push({ items, done });
          try {
            await done.promise;
          } finally {
            working -= 1;
          }
          if (items.includes(99)) throw new Error('broken');
          const after = deferred();
          afters.push(after);
          return {
            outcomes: items.map((n) => ({ ok: true as const, value: n })),
            after: after.promise.then(() => log.push(`after ${items.join(',')}`)),
          };
        },
        end: (turn) => {
          log.push(`end ${turn}`);
          return Promise.resolve();
        },
      };
      return { log, reads, works, afters, turns: turnsOf };
    };

    it('reads the next group beside the current work, works the next group while the previous one’s `after` is under way, and answers each group after its `after`', async () => {
      const { log, reads, works, afters, turns } = controlled();
      const q = new GroupQueue(turns, 64, 8);
      const answered: number[] = [];
      const send = (n: number) => q.run('room', n).then((v) => answered.push(v));
      const jobs = [send(1)];
      await until(() => reads.length === 1);
      // Arrived while the first group is read: read as soon as that group's work is issued,
      // beside it.
      jobs.push(send(2), send(3));
      reads[0].resolve();
      await until(() => log.includes('read 1: 2,3'));
      expect(works).toHaveLength(1);
      reads[1].resolve();
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
      // Its work waits for the current one.
      expect(works).toHaveLength(1);
      works[0].done.resolve();
      // The second group is worked on while the first one's `after` is still under way, and
      // nobody is answered yet.
      await until(() => works.length === 2);
      expect(answered).toEqual([]);
      afters[0].resolve();
      await until(() => answered.length === 1);
      expect(answered).toEqual([1]);
      works[1].done.resolve();
      await until(() => afters.length === 2);
      // The turn is not given back while an `after` is under way.
      expect(log).not.toContain('end 1');
      afters[1].resolve();
      await Promise.all(jobs);
      expect(answered).toEqual([1, 2, 3]);
      await until(() => q.size === 0);
      expect(log).toEqual([
        'read 1: 1',
        'work 1: 1',
        'read 1: 2,3',
        'work 1: 2,3',
        'after 1',
        'after 2,3',
        'end 1',
      ]);
    });

    it('when a work fails, the group read beside it is served first in a new turn, read again', async () => {
      const { log, reads, works, afters, turns } = controlled();
      const q = new GroupQueue(turns, 64, 8);
      const failing = q.run('room', 99).catch((e: Error) => e.message);
      await until(() => reads.length === 1);
      const next = q.run('room', 4);
      reads[0].resolve();
      await until(() => log.includes('read 1: 4'));
      works[0].done.resolve();
      await expect(failing).resolves.toBe('broken');
      // Its read is awaited before the turn is given back, and made again in the new turn.
      reads[1].resolve();
      await until(() => reads.length === 3);
      reads[2].resolve();
      await until(() => works.length === 2);
      works[1].done.resolve();
      await until(() => afters.length === 1);
      afters[0].resolve();
      await expect(next).resolves.toBe(4);
      await until(() => q.size === 0);
      expect(log).toEqual([
        'read 1: 99',
        'work 1: 99',
        'read 1: 4',
        'end 1',
        'read 2: 4',
        'work 2: 4',
        'after 4',
        'end 2',
      ]);
    });

    it('issues nothing beside a group that wants the turn alone', async () => {
      const { log, reads, works, afters, turns } = controlled((items) => items.includes(7));
      const q = new GroupQueue(turns, 64, 8);
      const first = q.run('room', 7);
      await until(() => reads.length === 1);
      const second = q.run('room', 8);
      reads[0].resolve();
      await until(() => works.length === 1);
      // Give the queue every chance to issue the next read: it does not.
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
      expect(log).toEqual(['read 1: 7', 'work 1: 7']);
      works[0].done.resolve();
      await until(() => reads.length === 2);
      reads[1].resolve();
      await until(() => works.length === 2);
      expect(log.slice(2)).toEqual(['read 1: 8', 'work 1: 8']);
      works[1].done.resolve();
      await until(() => afters.length === 2);
      afters.forEach((a) => a.resolve());
      await expect(Promise.all([first, second])).resolves.toEqual([7, 8]);
    });
  });
});
