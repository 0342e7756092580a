import type { AppConfig } from '../../config/app-config';
import { MemoryKeyValueStore } from '../../infra/redis/memory.store';
import { LoginLockoutService } from './login-lockout.service';

describe('LoginLockoutService', () => {
  let now = 0;
  const store = new MemoryKeyValueStore('t:', () => now);
  const config = { auth: { loginMaxAttempts: 2, lockoutBaseSeconds: 3600 } } as AppConfig;
  const lockout = new LoginLockoutService(store, config);
  afterAll(() => store.close());

  async function lockOnce(email: string): Promise<number> {
    expect(await lockout.recordFailure(email)).toBe(0);
    return lockout.recordFailure(email);
  }

  it('doubles the lock each time and never exceeds a day', async () => {
    const email = 'A@Example.org';
    expect(await lockOnce(email)).toBe(3600);
    expect(await lockout.lockedFor('a@example.org')).toBe(3600);
    now += 3601_000;
    expect(await lockout.lockedFor(email)).toBe(0);
    expect(await lockOnce(email)).toBe(7200);
    now += 7201_000;
    const periods: number[] = [];
    for (let i = 0; i < 6; i++) {
      const seconds = await lockOnce(email);
      periods.push(seconds);
      now += seconds * 1000 + 1000;
    }
    expect(Math.max(...periods)).toBe(24 * 3600);
  });

  it('forgets failures on success and lifts the lock on clear', async () => {
    const email = 'b@example.org';
    expect(await lockout.recordFailure(email)).toBe(0);
    await lockout.recordSuccess(email);
    expect(await lockout.recordFailure(email)).toBe(0);
    expect(await lockout.recordFailure(email)).toBeGreaterThan(0);
    expect(await lockout.lockedFor(email)).toBeGreaterThan(0);
    await lockout.clear(email);
    expect(await lockout.lockedFor(email)).toBe(0);
  });
});
