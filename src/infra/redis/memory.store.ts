import { EventEmitter } from 'node:events';
import { KeyValueStore, PubSub, type Unsubscribe } from './key-value.store';

interface Entry {
  value: string | Set<string>;
  expiresAt: number | undefined;
}

// In-process stand-in for Redis in the embedded mode. Single instance only: two processes
// with their own MemoryStore share nothing.
export class MemoryKeyValueStore extends KeyValueStore {
  private readonly entries = new Map<string, Entry>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly prefix: string,
    private readonly now: () => number = Date.now,
  ) {
    super();
    // Expired keys are also dropped on read; the sweep only bounds memory.
    this.sweeper = setInterval(() => this.sweep(), 30_000);
    this.sweeper.unref();
  }

  close(): void {
    clearInterval(this.sweeper);
  }

  private live(key: string): Entry | undefined {
    const entry = this.entries.get(this.prefix + key);
    if (entry && entry.expiresAt !== undefined && entry.expiresAt <= this.now()) {
      this.entries.delete(this.prefix + key);
      return undefined;
    }
    return entry;
  }

  private expiry(ttlSeconds: number | undefined): number | undefined {
    return ttlSeconds === undefined ? undefined : this.now() + ttlSeconds * 1000;
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt !== undefined && entry.expiresAt <= now) this.entries.delete(key);
    }
  }

  get(key: string): Promise<string | null> {
    const entry = this.live(key);
    return Promise.resolve(typeof entry?.value === 'string' ? entry.value : null);
  }

  set(key: string, value: string, ttlSeconds?: number): Promise<void> {
    this.entries.set(this.prefix + key, { value, expiresAt: this.expiry(ttlSeconds) });
    return Promise.resolve();
  }

  setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean> {
    if (this.live(key)) return Promise.resolve(false);
    this.entries.set(this.prefix + key, { value, expiresAt: this.expiry(ttlSeconds) });
    return Promise.resolve(true);
  }

  delete(...keys: string[]): Promise<number> {
    let removed = 0;
    for (const key of keys) {
      if (this.live(key) && this.entries.delete(this.prefix + key)) removed++;
    }
    return Promise.resolve(removed);
  }

  increment(key: string, ttlSeconds: number, by = 1): Promise<number> {
    const entry = this.live(key);
    const next = (entry && typeof entry.value === 'string' ? Number(entry.value) : 0) + by;
    this.entries.set(this.prefix + key, {
      value: String(next),
      expiresAt: entry ? entry.expiresAt : this.expiry(ttlSeconds),
    });
    return Promise.resolve(next);
  }

  // Synchronous inside: nothing else runs between the check and the count.
  incrementUnless(
    key: string,
    ttlSeconds: number,
    guardKey: string,
  ): Promise<{ count: number } | { guardTtl: number }> {
    const guard = this.live(guardKey);
    if (guard)
      return Promise.resolve({
        guardTtl:
          guard.expiresAt === undefined ? -1 : Math.ceil((guard.expiresAt - this.now()) / 1000),
      });
    const entry = this.live(key);
    const count = (entry && typeof entry.value === 'string' ? Number(entry.value) : 0) + 1;
    this.entries.set(this.prefix + key, {
      value: String(count),
      expiresAt: entry ? entry.expiresAt : this.expiry(ttlSeconds),
    });
    return Promise.resolve({ count });
  }

  deleteIfEquals(key: string, value: string): Promise<boolean> {
    const entry = this.live(key);
    if (entry?.value !== value) return Promise.resolve(false);
    return Promise.resolve(this.entries.delete(this.prefix + key));
  }

  ttl(key: string): Promise<number> {
    const entry = this.live(key);
    if (!entry) return Promise.resolve(-2);
    if (entry.expiresAt === undefined) return Promise.resolve(-1);
    return Promise.resolve(Math.ceil((entry.expiresAt - this.now()) / 1000));
  }

  setAdd(key: string, member: string, ttlSeconds?: number): Promise<void> {
    const entry = this.live(key);
    const set = entry && entry.value instanceof Set ? entry.value : new Set<string>();
    set.add(member);
    this.entries.set(this.prefix + key, {
      value: set,
      expiresAt: ttlSeconds === undefined ? entry?.expiresAt : this.expiry(ttlSeconds),
    });
    return Promise.resolve();
  }

  setRemove(key: string, member: string): Promise<void> {
    const entry = this.live(key);
    if (entry && entry.value instanceof Set) {
      entry.value.delete(member);
      if (entry.value.size === 0) this.entries.delete(this.prefix + key);
    }
    return Promise.resolve();
  }

  setMembers(key: string): Promise<string[]> {
    const entry = this.live(key);
    return Promise.resolve(entry && entry.value instanceof Set ? [...entry.value] : []);
  }

  ping(): Promise<void> {
    return Promise.resolve();
  }
}

export class MemoryPubSub extends PubSub {
  private readonly emitter = new EventEmitter();

  constructor() {
    super();
    this.emitter.setMaxListeners(0);
  }

  publish(channel: string, message: string): Promise<void> {
    // Delivered on a later tick, like Redis: a publisher never runs subscribers inline.
    setImmediate(() => this.emitter.emit(channel, message));
    return Promise.resolve();
  }

  subscribe(channel: string, handler: (message: string) => void): Promise<Unsubscribe> {
    this.emitter.on(channel, handler);
    return Promise.resolve(() => {
      this.emitter.off(channel, handler);
      return Promise.resolve();
    });
  }
}
