import type { AppConfig } from '../../config/app-config';
import { MemoryKeyValueStore } from '../../infra/redis/memory.store';
import { type AttemptClaim, LoginLockoutService } from './login-lockout.service';

describe('LoginLockoutService', () => {
  let now = 0;
  const store = new MemoryKeyValueStore('t:', () => now);
  const config = { auth: { loginMaxAttempts: 2, lockoutBaseSeconds: 3600 } } as AppConfig;
  const lockout = new LoginLockoutService(store, config);
  afterAll(() => store.close());

  async function attempt(email: string): Promise<number> {
    const claim = await lockout.claim(email);
    if (claim.lockedFor !== undefined) throw new Error('locked');
    return claim.attempt;
  }

  // Two failed attempts: the second locks; returns its period.
  async function lockOnce(email: string): Promise<number> {
    expect(await lockout.recordFailure(email, await attempt(email))).toBe(0);
    return lockout.recordFailure(email, await attempt(email));
  }

  it('doubles the lock each time and never exceeds a day', async () => {
    const email = 'A@Example.org';
    expect(await lockOnce(email)).toBe(3600);
    expect(await lockout.lockedFor('a@example.org')).toBe(3600);
    expect(await lockout.claim(email)).toEqual({ lockedFor: 3600, lockedNow: false });
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

  it('forgets attempts on success and lifts the lock on clear', async () => {
    const email = 'b@example.org';
    await lockout.recordSuccess(email, await attempt(email));
    expect(await lockout.recordFailure(email, await attempt(email))).toBe(0);
    expect(await lockout.recordFailure(email, await attempt(email))).toBeGreaterThan(0);
    expect(await lockout.lockedFor(email)).toBeGreaterThan(0);
    await lockout.clear(email);
    expect(await lockout.lockedFor(email)).toBe(0);
  });

  it('counts parallel claims before any verdict: the budget, then locked', async () => {
    const email = 'c@example.org';
    const claims: AttemptClaim[] = await Promise.all(
      Array.from({ length: 6 }, () => lockout.claim(email)),
    );
    expect(claims.slice(0, 2)).toEqual([{ attempt: 1 }, { attempt: 2 }]);
    expect(claims[2]).toEqual({ lockedFor: 3600, lockedNow: true });
    for (const c of claims.slice(3)) expect(c).toMatchObject({ lockedNow: false });
    // A success inside the burst does not wipe the count of the others.
    await lockout.recordSuccess(email, 1);
    expect(await lockout.lockedFor(email)).toBeGreaterThan(0);
    // The failure of the last budgeted attempt finds the lock already there.
    expect(await lockout.recordFailure(email, 2)).toBe(0);
  });
});
