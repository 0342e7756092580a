import { availableParallelism } from 'node:os';
import { HashingThreads, HashRefused, spawnHashingThread } from './hashing-threads';

// argon2id with the OWASP parameters (19 MiB, 2 passes, 1 lane). @node-rs/argon2 ships a
// prebuilt addon, so no compiler is needed at install time.
const PASSWORD_HASH_OPTIONS = {
  // Algorithm.Argon2id is an ambient const enum (not importable under isolatedModules); 2 is its value.
  algorithm: 2,
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
} as const;

// A hash is 10–15 ms of a core and 19 MiB. Unbounded, a burst of logins or a password-spraying
// attack takes every core from the event loop that relays live consultations' signaling. So
// hashes run on one thread fewer than there are cores (PASSWORD_HASH_CONCURRENCY overrides
// it), each hashing its queue back to back (hashing-threads.ts); the others wait their turn.
// At most three by default: in a container Node sees the node's cores, and fifteen threads
// hashing at once on a 16-core node would hold about 400 MB, more than a pod may have.
const MAX_DEFAULT_HASHING_THREADS = 3;

export function defaultPasswordHashConcurrency(cores: number): number {
  return Math.max(1, Math.min(cores - 1, MAX_DEFAULT_HASHING_THREADS));
}

const spawn = () => spawnHashingThread(PASSWORD_HASH_OPTIONS);
let threads = new HashingThreads(defaultPasswordHashConcurrency(availableParallelism()), spawn);

// Process-wide, like the cores it shares: set from the configuration when the app is created.
// Hashes already waiting finish on the threads they were queued on.
export function setPasswordHashConcurrency(limit: number): void {
  if (limit === threads.size) return;
  threads.close();
  threads = new HashingThreads(limit, spawn);
}

export function passwordHashConcurrency(): number {
  return threads.size;
}

export async function hashPassword(password: string): Promise<string> {
  return String(await threads.run({ kind: 'hash', password }));
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return (await threads.run({ kind: 'verify', hash: passwordHash, password })) === true;
  } catch (error) {
    // A malformed stored hash is a mismatch, never an exception that reveals anything. A
    // hashing thread that failed is a server error, not a wrong password (it must not count
    // towards the account's lockout).
    if (error instanceof HashRefused) return false;
    throw error;
  }
}
