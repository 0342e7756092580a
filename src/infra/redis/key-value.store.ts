// What Hekim needs from Redis, chosen once so that features never care whether they run on
// a real Redis (several instances) or in process (embedded, single instance). Keys are given
// without the deployment prefix; implementations add it.
export abstract class KeyValueStore {
  abstract get(key: string): Promise<string | null>;
  abstract set(key: string, value: string, ttlSeconds?: number): Promise<void>;
  // Atomic create: true when the key did not exist and now holds value (a lock or a claim).
  abstract setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean>;
  abstract delete(...keys: string[]): Promise<number>;
  // Atomic counter, raised by `by` (1 unless given); the TTL is set when the counter is
  // created and then left alone.
  abstract increment(key: string, ttlSeconds: number, by?: number): Promise<number>;
  // One atomic step: when `guardKey` exists, its remaining seconds (`{ guardTtl }`) and nothing
  // else happens; otherwise the counter at `key` is raised by one as `increment` does
  // (`{ count }`). Attempt budgets use it: the lock and the count are judged together.
  abstract incrementUnless(
    key: string,
    ttlSeconds: number,
    guardKey: string,
  ): Promise<{ count: number } | { guardTtl: number }>;
  // Deletes the key only if it still holds `value`; true when it did.
  abstract deleteIfEquals(key: string, value: string): Promise<boolean>;
  // Remaining seconds; -2 when the key does not exist, -1 when it never expires.
  abstract ttl(key: string): Promise<number>;
  abstract setAdd(key: string, member: string, ttlSeconds?: number): Promise<void>;
  abstract setRemove(key: string, member: string): Promise<void>;
  abstract setMembers(key: string): Promise<string[]>;
  abstract ping(): Promise<void>;
}

export type Unsubscribe = () => Promise<void>;

// Fire-and-forget broadcast between instances (token revocation, timers, presence).
export abstract class PubSub {
  abstract publish(channel: string, message: string): Promise<void>;
  abstract subscribe(channel: string, handler: (message: string) => void): Promise<Unsubscribe>;
}
