import type { AppConfig } from '../../config/app-config';
import { MemoryKeyValueStore } from '../../infra/redis/memory.store';
import { SignalingRateLimiter } from './signaling-rate-limiter';

const config = { signaling: { eventsPerSecond: 2 } } as AppConfig;

describe('SignalingRateLimiter', () => {
  it('limits a socket, then calls it abusive, and starts afresh in the next window', async () => {
    const limiter = new SignalingRateLimiter(config, new MemoryKeyValueStore('t:'));
    const t0 = 1_000_000;
    const seen = [];
    for (let i = 0; i < 5; i++) seen.push(await limiter.check('s1', 'u1', t0));
    expect(seen).toEqual(['ok', 'ok', 'limited', 'limited', 'abusive']);
    expect(await limiter.check('s1', 'u1', t0 + 1000)).toBe('ok');
    limiter.forget('s1');
  });

  it('shares a budget between the sockets of one user', async () => {
    const limiter = new SignalingRateLimiter(config, new MemoryKeyValueStore('t:'));
    const t0 = 2_000_000;
    const seen = [];
    // Budget 2 per socket, 6 per user: the fourth socket's events push the user over.
    for (const s of ['a', 'b', 'c', 'd']) {
      seen.push(await limiter.check(s, 'u1', t0));
      seen.push(await limiter.check(s, 'u1', t0));
    }
    expect(seen.slice(0, 6)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ok']);
    expect(seen.slice(6)).toEqual(['limited', 'limited']);
  });
});

describe('SignalingRateLimiter across instances', () => {
  const busy = { signaling: { eventsPerSecond: 100 } } as AppConfig;

  it('claims the shared budget in blocks, not per event', async () => {
    const store = new MemoryKeyValueStore('t:');
    const increments = jest.spyOn(store, 'increment');
    const limiter = new SignalingRateLimiter(busy, store);
    const t0 = 3_000_000;
    const immediate: boolean[] = [];
    for (let i = 0; i < 90; i++) {
      const verdict = limiter.check(`s${i % 3}`, 'u1', t0);
      immediate.push(typeof verdict === 'string');
      expect(await verdict).toBe('ok');
    }
    // A user's budget is 300 a second, claimed 30 at a time.
    expect(increments).toHaveBeenCalledTimes(3);
    // Only the events that claim a block wait for the shared counter; the others are answered
    // at once.
    expect(immediate.flatMap((now, i) => (now ? [] : [i]))).toEqual([0, 30, 60]);
  });

  it('limits a user whose sockets are spread over two instances by their total', async () => {
    const store = new MemoryKeyValueStore('t:');
    const one = new SignalingRateLimiter(busy, store);
    const two = new SignalingRateLimiter(busy, store);
    const t0 = 4_000_000;
    const verdicts: string[] = [];
    // Six sockets, three per instance, 60 events each: 360 events against a budget of 300.
    for (let round = 0; round < 60; round++)
      for (const [limiter, socket] of [
        [one, 'a'],
        [one, 'b'],
        [one, 'c'],
        [two, 'd'],
        [two, 'e'],
        [two, 'f'],
      ] as const)
        verdicts.push(await limiter.check(socket, 'u1', t0));
    const ok = verdicts.filter((v) => v === 'ok').length;
    // Never more than the budget; at most one block per instance given up early.
    expect(ok).toBeLessThanOrEqual(300);
    expect(ok).toBeGreaterThanOrEqual(300 - 2 * 30);
    expect(verdicts.at(-1)).toBe('limited');
  });
});
