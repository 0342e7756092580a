import { Worker } from 'node:worker_threads';

// Password hashing on threads of its own. Each thread hashes one job after another, taken
// straight from its own message queue, so a thread never waits for the event loop between two
// hashes: on the libuv pool the next hash could only start once the main thread, busy with
// the other logins' queries and answers, had run the last one's completion.

export type HashJob =
  { kind: 'hash'; password: string } | { kind: 'verify'; hash: string; password: string };

// What a thread answers: the value, or argon2's refusal (a malformed hash, say) as text.
export type HashReply = { id: number; value: string | boolean } | { id: number; refused: string };

// The part of a worker_threads Worker that the pool uses (a stand-in in unit specs).
export interface HashingThread {
  postMessage(message: { id: number } & HashJob): void;
  on(event: 'message', listener: (reply: HashReply) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
  ref(): void;
  unref(): void;
  terminate(): Promise<number>;
}

// argon2's refusal of a job, as opposed to a thread that failed.
export class HashRefused extends Error {}

// Plain JavaScript, run with `eval` so that the same source works from dist/ and under
// ts-jest; the addon's path comes from the main thread's resolution.
const THREAD_SOURCE = `
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const argon2 = require(workerData.addon);
parentPort.on('message', (job) => {
  let reply;
  try {
    const value = job.kind === 'hash'
      ? argon2.hashSync(job.password, workerData.options)
      : argon2.verifySync(job.hash, job.password);
    reply = { id: job.id, value };
  } catch (error) {
    reply = { id: job.id, refused: error instanceof Error ? error.message : String(error) };
  }
  parentPort.postMessage(reply);
});
`;

export function spawnHashingThread(options: object): HashingThread {
  return new Worker(THREAD_SOURCE, {
    eval: true,
    workerData: { addon: require.resolve('@node-rs/argon2'), options },
  });
}

interface Pending {
  resolve: (value: string | boolean) => void;
  reject: (error: Error) => void;
}

class Thread {
  readonly pending = new Map<number, Pending>();
  private closing = false;

  constructor(
    private readonly thread: HashingThread,
    onGone: (thread: Thread) => void,
  ) {
    // Idle threads do not keep the process alive; a thread with work does, until it answers.
    thread.unref();
    thread.on('message', (reply) => this.answer(reply));
    const fail = (error: Error) => {
      onGone(this);
      for (const job of this.pending.values()) job.reject(error);
      this.pending.clear();
    };
    thread.on('error', (error) =>
      fail(new Error(`password hashing thread failed: ${error.message}`)),
    );
    thread.on('exit', (code) => fail(new Error(`password hashing thread exited (code ${code})`)));
  }

  run(id: number, job: HashJob): Promise<string | boolean> {
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) this.thread.ref();
      this.pending.set(id, { resolve, reject });
      this.thread.postMessage({ id, ...job });
    });
  }

  // Ends the thread once its queued jobs have been answered.
  close(): void {
    this.closing = true;
    if (this.pending.size === 0) void this.thread.terminate();
  }

  private answer(reply: HashReply): void {
    const job = this.pending.get(reply.id);
    if (!job) return;
    this.pending.delete(reply.id);
    if ('refused' in reply) job.reject(new HashRefused(reply.refused));
    else job.resolve(reply.value);
    if (this.pending.size > 0) return;
    this.thread.unref();
    if (this.closing) void this.thread.terminate();
  }
}

// `size` threads, started when first needed; a job goes to the thread with the fewest jobs
// queued, so at most `size` hashes run at once and the others wait in the threads' queues.
// A thread that fails rejects the jobs it held and is replaced by the next job that needs it.
export class HashingThreads {
  private readonly threads: Thread[] = [];
  private nextId = 0;

  constructor(
    readonly size: number,
    private readonly spawn: () => HashingThread,
  ) {}

  run(job: HashJob): Promise<string | boolean> {
    return this.leastBusy().run(this.nextId++, job);
  }

  // Threads end once their queued jobs are done; jobs already queued are not lost.
  close(): void {
    for (const thread of this.threads.splice(0)) thread.close();
  }

  private leastBusy(): Thread {
    if (this.threads.length < this.size) {
      const idle = this.threads.find((t) => t.pending.size === 0);
      if (idle) return idle;
      const thread = new Thread(this.spawn(), (gone) => {
        const at = this.threads.indexOf(gone);
        if (at >= 0) this.threads.splice(at, 1);
      });
      this.threads.push(thread);
      return thread;
    }
    return this.threads.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
  }
}
