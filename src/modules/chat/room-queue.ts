// What one job of a group came to: its value, or the error that refused it alone.
export type Outcome<O> = { ok: true; value: O } | { ok: false; error: unknown };

// Jobs of one key are done in groups, one group at a time, in the order they came; other keys
// run freely. While a group is worked on, the jobs that arrive for its key wait here (for
// free, holding no database connection), and the next group takes all of them at once, up to
// `max`. The chat sends a room's messages through it (group commit, docs/chat.md): the
// busier the room, the more messages share one turn, one statement and one publication.
export class GroupQueue<I, O> {
  private readonly waiting = new Map<string, Job<I, O>[]>();

  constructor(
    // Answers one outcome per item, in the items' order; a throw refuses the whole group.
    private readonly work: (key: string, items: I[]) => Promise<Outcome<O>[]>,
    private readonly max = 64,
  ) {}

  run(key: string, item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      const job = { item, resolve, reject };
      const queue = this.waiting.get(key);
      if (queue) {
        queue.push(job);
        return;
      }
      this.waiting.set(key, [job]);
      void this.drain(key);
    });
  }

  // Keys with jobs waiting or being worked on.
  get size(): number {
    return this.waiting.size;
  }

  private async drain(key: string): Promise<void> {
    const queue = this.waiting.get(key) ?? [];
    while (queue.length > 0) {
      const group = queue.splice(0, this.max);
      let outcomes: Outcome<O>[];
      try {
        outcomes = await this.work(
          key,
          group.map((j) => j.item),
        );
      } catch (error) {
        outcomes = group.map(() => ({ ok: false, error }));
      }
      group.forEach((job, i) => {
        const outcome = outcomes[i] ?? { ok: false, error: new Error('no outcome') };
        if (outcome.ok) job.resolve(outcome.value);
        else job.reject(outcome.error);
      });
    }
    this.waiting.delete(key);
  }
}

interface Job<I, O> {
  item: I;
  resolve: (value: O) => void;
  reject: (error: unknown) => void;
}
