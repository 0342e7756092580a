import { EventEmitter } from 'node:events';
import { HashingThreads, HashRefused, type HashJob, type HashReply } from './hashing-threads';

// A stand-in thread: it records what it was sent and answers when the test says so.
class FakeThread extends EventEmitter {
  readonly jobs: ({ id: number } & HashJob)[] = [];
  refs = 0;
  terminated = false;

  postMessage(message: { id: number } & HashJob): void {
    this.jobs.push(message);
  }
  reply(reply: HashReply): void {
    this.emit('message', reply);
  }
  ref(): void {
    this.refs++;
  }
  unref(): void {
    this.refs = 0;
  }
  terminate(): Promise<number> {
    this.terminated = true;
    return Promise.resolve(1);
  }
}

describe('hashing threads', () => {
  let spawned: FakeThread[];
  const pool = (size: number) =>
    new HashingThreads(size, () => {
      const thread = new FakeThread();
      spawned.push(thread);
      return thread;
    });
  const verify = (hash: string): HashJob => ({ kind: 'verify', hash, password: 'pw' });

  beforeEach(() => {
    spawned = [];
  });

  it('starts threads when needed, at most `size`, and queues the rest on the least busy', async () => {
    const threads = pool(2);
    expect(spawned).toHaveLength(0);
    const results = [1, 2, 3, 4, 5].map((n) => threads.run(verify(`h${n}`)));
    expect(spawned).toHaveLength(2);
    expect(spawned.map((t) => t.jobs.map((j) => 'hash' in j && j.hash))).toEqual([
      ['h1', 'h3', 'h5'],
      ['h2', 'h4'],
    ]);
    // Answers arrive per thread, in any order across threads.
    spawned[1].reply({ id: spawned[1].jobs[0].id, value: true });
    spawned[0].reply({ id: spawned[0].jobs[0].id, value: false });
    for (const t of spawned) for (const j of t.jobs.slice(1)) t.reply({ id: j.id, value: true });
    expect(await Promise.all(results)).toEqual([false, true, true, true, true]);
    // An idle thread takes the next job before a new thread is started.
    void threads.run({ kind: 'hash', password: 'pw' });
    expect(spawned).toHaveLength(2);
  });

  it('keeps the process alive only while a thread has work', async () => {
    const threads = pool(1);
    const one = threads.run(verify('a'));
    const two = threads.run(verify('b'));
    const [thread] = spawned;
    expect(thread.refs).toBe(1);
    thread.reply({ id: thread.jobs[0].id, value: true });
    expect(thread.refs).toBe(1);
    thread.reply({ id: thread.jobs[1].id, value: true });
    expect(thread.refs).toBe(0);
    await Promise.all([one, two]);
  });

  it("rejects argon2's refusal as HashRefused and ignores answers to no job", async () => {
    const threads = pool(1);
    const bad = threads.run(verify('not-a-hash'));
    const [thread] = spawned;
    thread.reply({ id: 999, value: true });
    thread.reply({ id: thread.jobs[0].id, refused: 'Invalid hash' });
    await expect(bad).rejects.toEqual(new HashRefused('Invalid hash'));
  });

  it('rejects the jobs of a thread that fails, and replaces it for the next job', async () => {
    const threads = pool(1);
    const lost = [threads.run(verify('a')), threads.run(verify('b'))];
    spawned[0].emit('error', new Error('out of memory'));
    spawned[0].emit('exit', 1);
    for (const job of lost) {
      await expect(job).rejects.toThrow('password hashing thread failed: out of memory');
    }
    const next = threads.run(verify('c'));
    expect(spawned).toHaveLength(2);
    spawned[1].reply({ id: spawned[1].jobs[0].id, value: true });
    expect(await next).toBe(true);

    const exited = threads.run(verify('d'));
    spawned[1].emit('exit', 7);
    await expect(exited).rejects.toThrow('password hashing thread exited (code 7)');
  });

  it('closes idle threads at once and busy ones after their queued jobs', async () => {
    const threads = pool(2);
    const queued = threads.run(verify('a'));
    void threads.run(verify('b'));
    spawned[1].reply({ id: spawned[1].jobs[0].id, value: true });
    threads.close();
    expect(spawned.map((t) => t.terminated)).toEqual([false, true]);
    spawned[0].reply({ id: spawned[0].jobs[0].id, value: true });
    expect(await queued).toBe(true);
    expect(spawned[0].terminated).toBe(true);
  });
});
