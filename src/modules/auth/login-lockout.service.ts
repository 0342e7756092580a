import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { KeyValueStore } from '../../infra/redis/key-value.store';
import { sha256Hex } from './tokens/opaque-token';

// Failures are counted within this window before they lock the account.
const FAILURE_WINDOW_SECONDS = 15 * 60;
// Each lock doubles the previous one for a day, up to this ceiling.
const LEVEL_MEMORY_SECONDS = 24 * 3600;
const MAX_LOCK_SECONDS = 24 * 3600;

// Per-account lockout with a growing period, kept in the shared KeyValueStore so it holds
// across instances. Keyed by the submitted e-mail whether or not an account exists, so a
// lock reveals nothing; keys hold a hash, not the address.
@Injectable()
export class LoginLockoutService {
  constructor(
    private readonly store: KeyValueStore,
    private readonly config: AppConfig,
  ) {}

  private keys(email: string): { failures: string; lock: string; level: string } {
    const id = sha256Hex(email.trim().toLowerCase());
    return {
      failures: `auth:login-failures:${id}`,
      lock: `auth:login-lock:${id}`,
      level: `auth:login-lock-level:${id}`,
    };
  }

  // Seconds until the account may try again; 0 when it is not locked.
  async lockedFor(email: string): Promise<number> {
    const ttl = await this.store.ttl(this.keys(email).lock);
    return ttl > 0 ? ttl : 0;
  }

  // Counts a failure; returns the lock period in seconds when this failure locked the account.
  async recordFailure(email: string): Promise<number> {
    const keys = this.keys(email);
    const failures = await this.store.increment(keys.failures, FAILURE_WINDOW_SECONDS);
    if (failures < this.config.auth.loginMaxAttempts) return 0;
    const level = await this.store.increment(keys.level, LEVEL_MEMORY_SECONDS);
    const seconds = Math.min(
      this.config.auth.lockoutBaseSeconds * 2 ** Math.min(level - 1, 20),
      MAX_LOCK_SECONDS,
    );
    await this.store.set(keys.lock, String(level), seconds);
    await this.store.delete(keys.failures);
    return seconds;
  }

  async recordSuccess(email: string): Promise<void> {
    const keys = this.keys(email);
    await this.store.delete(keys.failures, keys.level);
  }

  // After a password reset the earlier guesses are worthless: lift any lock as well.
  async clear(email: string): Promise<void> {
    const keys = this.keys(email);
    await this.store.delete(keys.failures, keys.level, keys.lock);
  }
}
