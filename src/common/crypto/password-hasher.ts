import { availableParallelism } from 'node:os';
import { hash, verify } from '@node-rs/argon2';
import pLimit from 'p-limit';

// argon2id with the OWASP parameters (19 MiB, 2 passes, 1 lane). @node-rs/argon2 ships a
// prebuilt addon, so no compiler is needed at install time.
const OPTIONS = {
  // Algorithm.Argon2id is an ambient const enum (not importable under isolatedModules); 2 is its value.
  algorithm: 2,
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
} as const;

// A hash is 10–15 ms of a core and 19 MiB, on a thread of the libuv pool (4 threads unless
// UV_THREADPOOL_SIZE says otherwise). Unbounded, a burst of logins or a password-spraying
// attack takes every core from the event loop that relays live consultations' signaling, and
// every pool thread from file and DNS work. So at most one hash fewer than there are cores, and
// than there are pool threads, runs at once (PASSWORD_HASH_CONCURRENCY overrides it); the
// others wait their turn.
export function defaultPasswordHashConcurrency(
  cores: number,
  poolThreads = libuvPoolSize(),
): number {
  return Math.max(1, Math.min(cores, poolThreads) - 1);
}

function libuvPoolSize(): number {
  const size = Number(process.env.UV_THREADPOOL_SIZE);
  return Number.isInteger(size) && size > 0 ? size : 4;
}

let concurrency = defaultPasswordHashConcurrency(availableParallelism());
let running = pLimit(concurrency);

// Process-wide, like the cores it shares: set from the configuration when the app is created.
// Hashes already waiting finish under the limit they were queued with.
export function setPasswordHashConcurrency(limit: number): void {
  if (limit === concurrency) return;
  concurrency = limit;
  running = pLimit(limit);
}

export function passwordHashConcurrency(): number {
  return concurrency;
}

export function hashPassword(password: string): Promise<string> {
  return running(() => hash(password, OPTIONS));
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await running(() => verify(passwordHash, password));
  } catch {
    // A malformed stored hash is a mismatch, never an exception that reveals anything.
    return false;
  }
}
