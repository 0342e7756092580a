// Per socket (or any key object), a queue of work run one after another in the order it was
// queued. The queue goes on past a failure. A key is in the queue only while something of it
// is queued, so `busy` says whether new work would have to wait.
export class SocketQueue<K extends object> {
  private readonly tails = new WeakMap<K, Promise<unknown>>();

  busy(key: K): boolean {
    return this.tails.has(key);
  }

  run<R>(key: K, work: () => Promise<R>): Promise<R> {
    const next = (this.tails.get(key) ?? Promise.resolve()).then(work);
    const done = (): void => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    };
    const tail: Promise<unknown> = next.then(done, done);
    this.tails.set(key, tail);
    return next;
  }
}
