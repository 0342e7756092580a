// Jobs of one key run one after the other, in the order they came; other keys run freely.
// The chat sends a room's messages through it, so that on each instance at most one of them
// holds a database connection while waiting for the room's turn (the others wait here, for
// free), instead of a burst in one room taking the whole pool.
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<void>>();

  run<T>(key: string, job: () => Promise<T>): Promise<T> {
    const before = this.tails.get(key) ?? Promise.resolve();
    const result = before.then(job);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  get size(): number {
    return this.tails.size;
  }
}
