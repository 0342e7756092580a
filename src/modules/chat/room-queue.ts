// What one job of a group came to: its value, or the error that refused it alone.
export type Outcome<O> = { ok: true; value: O } | { ok: false; error: unknown };

// A group's outcomes, to be given once `after` has settled (whether it resolves or rejects).
export interface Worked<O> {
  outcomes: Outcome<O>[];
  after: Promise<unknown>;
}

// A key's turn: taken once, then used for one group after another while jobs keep waiting.
export interface Turns<I, O, T, R = undefined> {
  // Takes the key's turn (e.g. a lock on a connection of its own); a throw refuses the group
  // that was to use it.
  begin(key: string): Promise<T>;
  // What a group's work needs read first (e.g. the room as it stands), issued once all of the
  // group's jobs are there. A group's read may be issued while the previous group's work is
  // under way on the turn (unless `alone` says that work wants the turn to itself); it is
  // awaited only once that work is done. A throw refuses the group and ends the turn.
  read?(turn: T, key: string, items: I[]): Promise<R>;
  // Whether nothing else may be issued on the turn while this group is worked on.
  alone?(items: I[]): boolean;
  // Answers one outcome per item, in the items' order; a throw refuses the whole group and
  // ends the turn. With `after` (e.g. the group's publication, under way), the outcomes are
  // given once it has settled, while the turn goes on with the next group.
  work(turn: T, key: string, items: I[], read: R): Promise<Outcome<O>[] | Worked<O>>;
  // Gives the turn back; always called once per `begin` that succeeded.
  end(turn: T): Promise<void>;
}

// Jobs of one key are done in groups, one group at a time, in the order they came; other keys
// run freely. While a group is worked on, the jobs that arrive for its key wait here (for
// free, holding no database connection), and the next group takes all of them at once, up to
// `max`. A turn serves up to `held` groups in a row while jobs keep waiting, then is given
// back (so that others waiting for the same turn elsewhere get it); each group's jobs are
// answered as soon as its work (and its `after`) is done, before the turn is given back.
// Pipelined: the next group's read is issued beside the current group's work, and the next
// group's work starts while the current group's `after` is still under way; works themselves
// never overlap, and start in the groups' order. The chat sends a room's messages through it
// (group commit, docs/chat.md): the busier the room, the more messages share one turn, one
// statement and one publication.
export class GroupQueue<I, O, T = void, R = undefined> {
  private readonly waiting = new Map<string, Job<I, O>[]>();

  constructor(
    private readonly turns: Turns<I, O, T, R>,
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
      await this.serve(turn, key, queue);
    }
    this.waiting.delete(key);
  }

  // Up to `held` groups on one turn, then the turn is given back.
  private async serve(turn: T, key: string, queue: Job<I, O>[]): Promise<void> {
    const items = (group: Job<I, O>[]) => group.map((j) => j.item);
    const read = (group: Job<I, O>[]): Promise<R> => {
      const r = this.turns.read
        ? this.turns.read(turn, key, items(group))
        : Promise.resolve(undefined as R);
      // Observed at once: it may fail while the previous group's work is awaited.
      r.catch(() => undefined);
      return r;
    };
    // Groups whose outcomes wait for their `after`: the turn is given back only once all of
    // them have settled.
    const pending: Promise<void>[] = [];
    // The next group, its read already issued.
    let next: { group: Job<I, O>[]; read: Promise<R> } | undefined;
    try {
      for (let n = 0; n < this.held; n++) {
        if (!next && queue.length === 0 && pending.length > 0) {
          // Nothing waiting: let the previous groups finish, and take whatever arrived
          // meanwhile before giving the turn back.
          await Promise.all(pending.splice(0));
        }
        if (!next && queue.length === 0) break;
        const current =
          next ??
          (() => {
            const group = queue.splice(0, this.max);
            return { group, read: read(group) };
          })();
        next = undefined;
        let worked: Outcome<O>[] | Worked<O>;
        try {
          const working = this.turns.work(turn, key, items(current.group), await current.read);
          working.catch(() => undefined);
          if (
            this.turns.read &&
            n + 1 < this.held &&
            queue.length > 0 &&
            !this.turns.alone?.(items(current.group))
          ) {
            const group = queue.splice(0, this.max);
            next = { group, read: read(group) };
          }
          worked = await working;
        } catch (error) {
          settle(
            current.group,
            current.group.map(() => ({ ok: false, error })),
          );
          break;
        }
        if (Array.isArray(worked)) settle(current.group, worked);
        else {
          const { outcomes, after } = worked;
          const done = () => settle(current.group, outcomes);
          pending.push(after.then(done, done));
        }
      }
    } finally {
      // A next group read but not worked on (the turn failed): it waits for the next turn,
      // first in line.
      if (next) {
        const { group, read: r } = next;
        await r.catch(() => undefined);
        queue.unshift(...group);
      }
      await Promise.all(pending);
      await this.turns.end(turn).catch(() => undefined);
    }
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
