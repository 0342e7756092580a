import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { KeyValueStore } from '../../infra/redis/key-value.store';
import { sha256Hex } from './tokens/opaque-token';

// Attempts are counted within this window before they lock the account.
const ATTEMPT_WINDOW_SECONDS = 15 * 60;
// Each lock doubles the previous one while the previous lock is less than a day old, up to
// this ceiling.
const LEVEL_MEMORY_SECONDS = 24 * 3600;
const MAX_LOCK_SECONDS = 24 * 3600;

// A password check may go ahead (`attempt` is its number in the window), or the account is
// locked for `lockedFor` seconds and no password may be checked.
// `lockedNow`: this very attempt, one past the budget, locked the account.
export type AttemptClaim =
  { attempt: number; lockedFor?: undefined } | { lockedFor: number; lockedNow: boolean };

// Per-account lockout with a growing period, kept in the shared KeyValueStore so it holds
// across instances. Keyed by the submitted e-mail whether or not an account exists, so a
// lock reveals nothing; keys hold a hash, not the address.
//
// Every password is counted before it is checked, in one atomic step with the lock test
// (KeyValueStore.incrementUnless): of any number of parallel attempts, at most
// LOGIN_MAX_ATTEMPTS are evaluated, and once the account is locked the right password is
// refused like any other until the lock runs out (docs/auth.md).
@Injectable()
export class LoginLockoutService {
  constructor(
    private readonly store: KeyValueStore,
    private readonly config: AppConfig,
  ) {}

  private keys(email: string): { attempts: string; lock: string; level: string } {
    const id = sha256Hex(email.trim().toLowerCase());
    return {
      attempts: `auth:login-failures:${id}`,
      lock: `auth:login-lock:${id}`,
      level: `auth:login-lock-level:${id}`,
    };
  }

  // Seconds until the account may try again; 0 when it is not locked.
  async lockedFor(email: string): Promise<number> {
    const ttl = await this.store.ttl(this.keys(email).lock);
    return ttl > 0 ? ttl : 0;
  }

  // Asks to check one password. An attempt past the budget locks the account itself.
  async claim(email: string): Promise<AttemptClaim> {
    const keys = this.keys(email);
    const claimed = await this.store.incrementUnless(
      keys.attempts,
      ATTEMPT_WINDOW_SECONDS,
      keys.lock,
    );
    if ('guardTtl' in claimed)
      return { lockedFor: Math.max(1, claimed.guardTtl), lockedNow: false };
    if (claimed.count > this.config.auth.loginMaxAttempts) {
      const lock = await this.lock(email);
      return { lockedFor: lock.seconds, lockedNow: lock.created };
    }
    return { attempt: claimed.count };
  }

  // The claimed attempt failed. Returns the lock period in seconds when this failure locked
  // the account (it was the last of the budget), 0 otherwise.
  async recordFailure(email: string, attempt: number): Promise<number> {
    if (attempt < this.config.auth.loginMaxAttempts) return 0;
    const lock = await this.lock(email);
    return lock.created ? lock.seconds : 0;
  }

  // The claimed attempt succeeded: earlier attempts no longer count, unless other attempts
  // were claimed meanwhile (a burst in flight keeps its count).
  async recordSuccess(email: string, attempt: number): Promise<void> {
    const keys = this.keys(email);
    if (await this.store.deleteIfEquals(keys.attempts, String(attempt)))
      await this.store.delete(keys.level);
  }

  // After a password reset the earlier guesses are worthless: lift any lock as well.
  async clear(email: string): Promise<void> {
    const keys = this.keys(email);
    await this.store.delete(keys.attempts, keys.level, keys.lock);
  }

  // Locks the account unless it is locked already (then the remaining seconds). The lock key
  // is created first, atomically, so that no attempt gets through while its period is set.
  private async lock(email: string): Promise<{ seconds: number; created: boolean }> {
    const keys = this.keys(email);
    const base = this.config.auth.lockoutBaseSeconds;
    if (!(await this.store.setIfAbsent(keys.lock, '0', base))) {
      return { seconds: Math.max(1, await this.store.ttl(keys.lock)), created: false };
    }
    const level = await this.store.increment(keys.level, MAX_LOCK_SECONDS + LEVEL_MEMORY_SECONDS);
    const seconds = Math.min(base * 2 ** Math.min(level - 1, 20), MAX_LOCK_SECONDS);
    await this.store.set(keys.level, String(level), seconds + LEVEL_MEMORY_SECONDS);
    await this.store.set(keys.lock, String(level), seconds);
    await this.store.delete(keys.attempts);
    return { seconds, created: true };
  }
}
