// What one job of a group came to: its value, or the error that refused it alone.
export type Outcome<O> = { ok: true; value: O } | { ok: false; error: unknown };

// A key's turn: taken once, then used for one group after another while jobs keep waiting.
export interface Turns<I, O, T> {
  // Takes the key's turn (e.g. a lock on a connection of its own); a throw refuses the group
  // that was to use it.
  begin(key: string): Promise<T>;
  // Answers one outcome per item, in the items' order; a throw refuses the whole group and
  // ends the turn.
  work(turn: T, key: string, items: I[]): Promise<Outcome<O>[]>;
  // Gives the turn back; always called once per `begin` that succeeded.
  end(turn: T): Promise<void>;
}

// Jobs of one key are done in groups, one group at a time, in the order they came; other keys
// run freely. While a group is worked on, the jobs that arrive for its key wait here (for
// free, holding no database connection), and the next group takes all of them at once, up to
// `max`. A turn serves up to `held` groups in a row while jobs keep waiting, then is given
// back (so that others waiting for the same turn elsewhere get it); each group's jobs are
// answered as soon as its work is done, before the turn is given back. The chat sends a room's
// messages through it (group commit, docs/chat.md): the busier the room, the more messages
// share one turn, one statement and one publication.
export class GroupQueue<I, O, T = void> {
  private readonly waiting = new Map<string, Job<I, O>[]>();

  constructor(
    private readonly turns: Turns<I, O, T>,
    private readonly max = 64,
    private readonly held = 8,
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
      let turn: T;
      try {
        turn = await this.turns.begin(key);
      } catch (error) {
        const group = queue.splice(0, this.max);
        settle(
          group,
          group.map(() => ({ ok: false, error })),
        );
        continue;
      }
      try {
        for (let n = 0; n < this.held && queue.length > 0; n++) {
          const group = queue.splice(0, this.max);
          let outcomes: Outcome<O>[];
          try {
            outcomes = await this.turns.work(
              turn,
              key,
              group.map((j) => j.item),
            );
          } catch (error) {
            settle(
              group,
              group.map(() => ({ ok: false, error })),
            );
            break;
          }
          settle(group, outcomes);
        }
      } finally {
        await this.turns.end(turn).catch(() => undefined);
      }
    }
    this.waiting.delete(key);
  }
}

function settle<I, O>(group: Job<I, O>[], outcomes: Outcome<O>[]): void {
  group.forEach((job, i) => {
    const outcome = outcomes[i] ?? { ok: false, error: new Error('no outcome') };
    if (outcome.ok) job.resolve(outcome.value);
    else job.reject(outcome.error);
  });
}

interface Job<I, O> {
  item: I;
  resolve: (value: O) => void;
  reject: (error: unknown) => void;
}
