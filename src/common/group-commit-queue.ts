// Group commit: items pushed while a batch is being written wait and are written together in
// the next batch, in arrival order. One batch at a time; each caller's promise settles when
// its batch has been written (or has failed).
export interface GroupCommitOptions<T, R> {
  // Writes a batch atomically and returns one result per item, in the same order.
  write(items: T[]): Promise<R[]>;
  maxBatch: number;
  // When a batch of several fails with an error for which this returns true (an error one
  // item's content can cause), each item is written again on its own, so that a bad item
  // fails only its own caller. Any other error fails every caller of the batch.
  retryAlone?(error: unknown): boolean;
  // How long the first item of a batch waits for others to join it (0: until the next
  // microtask). For writes nobody is waiting on in a hurry (e.g. the outbox's outcomes), a few
  // milliseconds make far fewer, larger statements under load.
  lingerMs?: number;
}

interface Pending<T, R> {
  item: T;
  resolve(result: R): void;
  reject(error: unknown): void;
}

export class GroupCommitQueue<T, R> {
  private queue: Pending<T, R>[] = [];
  private running: Promise<void> | undefined;

  constructor(private readonly options: GroupCommitOptions<T, R>) {
    if (!(options.maxBatch >= 1)) throw new Error('maxBatch must be at least 1');
  }

  push(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      // Started on the next microtask (or after the linger), so that items pushed in the same
      // tick share a batch.
      this.running ??= this.options.lingerMs
        ? new Promise<void>((r) => setTimeout(r, this.options.lingerMs)).then(() => this.drain())
        : Promise.resolve().then(() => this.drain());
    });
  }

  // Settles once every item pushed so far has been written or has failed.
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.options.maxBatch);
        await this.writeBatch(batch);
      }
    } finally {
      this.running = undefined;
    }
  }

  private async writeBatch(batch: Pending<T, R>[]): Promise<void> {
    let results: R[];
    try {
      results = await this.options.write(batch.map((p) => p.item));
    } catch (error) {
      if (batch.length > 1 && this.options.retryAlone?.(error)) {
        for (const p of batch) await this.writeBatch([p]);
      } else {
        for (const p of batch) p.reject(error);
      }
      return;
    }
    if (results.length !== batch.length) {
      const error = new Error(`a batch of ${batch.length} returned ${results.length} results`);
      for (const p of batch) p.reject(error);
      return;
    }
    batch.forEach((p, i) => p.resolve(results[i]));
  }
}
