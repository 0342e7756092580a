import { GroupCommitQueue } from './group-commit-queue';

// A write whose batches can be held open, to see what arrives while one is in progress.
function recorder(fail?: (items: number[]) => Error | undefined) {
  const batches: number[][] = [];
  let release: (() => void) | undefined;
  let gate: Promise<void> | undefined;
  return {
    batches,
    hold(): void {
      gate = new Promise((r) => (release = r));
    },
    open(): void {
      release?.();
      gate = undefined;
    },
    write: async (items: number[]): Promise<string[]> => {
      batches.push(items);
      if (gate) await gate;
      const error = fail?.(items);
      if (error) throw error;
      return items.map((i) => `r${i}`);
    },
  };
}

const dataError = Object.assign(new Error('invalid input syntax'), { code: '22P02' });
const isDataError = (e: unknown): boolean => (e as { code?: string }).code === '22P02';

describe('GroupCommitQueue', () => {
  it('writes items pushed in one tick as one batch, in arrival order, and resolves each with its own result', async () => {
    const w = recorder();
    const q = new GroupCommitQueue({ write: w.write, maxBatch: 10 });
    const results = await Promise.all([1, 2, 3].map((i) => q.push(i)));
    expect(w.batches).toEqual([[1, 2, 3]]);
    expect(results).toEqual(['r1', 'r2', 'r3']);
  });

  it('collects what arrives during a write into the next batch, never more than maxBatch', async () => {
    const w = recorder();
    const q = new GroupCommitQueue({ write: w.write, maxBatch: 3 });
    w.hold();
    const first = q.push(0);
    await Promise.resolve();
    await Promise.resolve();
    expect(w.batches).toEqual([[0]]);
    const rest = [1, 2, 3, 4, 5, 6, 7].map((i) => q.push(i));
    w.open();
    expect(await Promise.all([first, ...rest])).toEqual(
      [0, 1, 2, 3, 4, 5, 6, 7].map((i) => `r${i}`),
    );
    expect(w.batches).toEqual([[0], [1, 2, 3], [4, 5, 6], [7]]);
  });

  it('rejects every caller of a failed batch and goes on with the next batch', async () => {
    const down = new Error('connection terminated');
    const w = recorder((items) => (items.includes(2) ? down : undefined));
    const q = new GroupCommitQueue({ write: w.write, maxBatch: 2, retryAlone: isDataError });
    const settled = await Promise.allSettled([1, 2, 3, 4].map((i) => q.push(i)));
    expect(settled).toEqual([
      { status: 'rejected', reason: down },
      { status: 'rejected', reason: down },
      { status: 'fulfilled', value: 'r3' },
      { status: 'fulfilled', value: 'r4' },
    ]);
    // Not retried: only an error an item can cause is.
    expect(w.batches).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });

  it('retries a batch item by item after an error one item can cause, so only that item fails', async () => {
    const w = recorder((items) => (items.includes(2) ? dataError : undefined));
    const q = new GroupCommitQueue({ write: w.write, maxBatch: 10, retryAlone: isDataError });
    const settled = await Promise.allSettled([1, 2, 3].map((i) => q.push(i)));
    expect(settled).toEqual([
      { status: 'fulfilled', value: 'r1' },
      { status: 'rejected', reason: dataError },
      { status: 'fulfilled', value: 'r3' },
    ]);
    expect(w.batches).toEqual([[1, 2, 3], [1], [2], [3]]);
  });

  it('rejects every caller when a write returns the wrong number of results', async () => {
    const q = new GroupCommitQueue<number, string>({
      write: () => Promise.resolve(['only one']),
      maxBatch: 10,
    });
    const settled = await Promise.allSettled([1, 2].map((i) => q.push(i)));
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected']);
  });

  it('idle() waits until everything pushed so far is settled', async () => {
    const w = recorder();
    const q = new GroupCommitQueue({ write: w.write, maxBatch: 1 });
    let done = 0;
    for (const i of [1, 2, 3]) void q.push(i).then(() => done++);
    await q.idle();
    expect(done).toBe(3);
    await expect(q.idle()).resolves.toBeUndefined();
  });

  it('with a linger, items pushed on later ticks within it join the first batch', async () => {
    const w = recorder();
    const q = new GroupCommitQueue({ write: w.write, maxBatch: 10, lingerMs: 30 });
    const first = q.push(1);
    await new Promise((r) => setImmediate(r));
    const second = q.push(2);
    await Promise.all([first, second]);
    expect(w.batches).toEqual([[1, 2]]);
  });
});
