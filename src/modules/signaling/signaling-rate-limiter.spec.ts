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
