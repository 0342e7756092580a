import type { AppConfig } from '../../config/app-config';
import { MemoryKeyValueStore } from '../../infra/redis/memory.store';
import { ChatRateLimit } from './chat-rate-limit';

const config = (user: number, room: number): AppConfig =>
  ({ chat: { userMessagesPerMinute: user, roomMessagesPerMinute: room } }) as AppConfig;

// 12:00:10 in some minute: the whole test stays in one window.
const NOW = Date.UTC(2026, 11, 7, 12, 0, 10);

async function tries(limit: ChatRateLimit, user: string, room: string): Promise<string> {
  try {
    await limit.admit(user, room, NOW);
    return 'ok';
  } catch (err) {
    return (err as { extensions: { reason: string } }).extensions.reason;
  }
}

describe('ChatRateLimit', () => {
  it('is exact on one instance, and asks the shared store only once a block is used up', async () => {
    const store = new MemoryKeyValueStore('t:');
    const increment = jest.spyOn(store, 'increment');
    const limit = new ChatRateLimit(store, config(60, 1000));
    const answers: string[] = [];
    for (let i = 0; i < 61; i++) answers.push(await tries(limit, 'u', 'r'));
    expect(answers.slice(0, 60).every((a) => a === 'ok')).toBe(true);
    expect(answers[60]).toBe('USER_RATE_LIMITED');
    // Blocks of 6 for the user (11 claims for 61 sends), one block of 100 for the room.
    expect(increment.mock.calls.filter(([key]) => key.includes(':user:'))).toHaveLength(11);
    expect(increment.mock.calls.filter(([key]) => key.includes(':room:'))).toHaveLength(1);
  });

  it('answers at once when the block covers the send', () => {
    const limit = new ChatRateLimit(new MemoryKeyValueStore('t:'), config(1000, 1000));
    expect(limit.admit('u', 'r', NOW)).toBeInstanceOf(Promise);
    return Promise.resolve(limit.admit('u', 'r', NOW)).then(() => {
      expect(limit.admit('u', 'r', NOW)).toBeUndefined();
    });
  });

  it('never admits more than the limit across instances, sends racing on each', async () => {
    const store = new MemoryKeyValueStore('t:');
    const instances = [0, 1, 2].map(() => new ChatRateLimit(store, config(50, 10_000)));
    const answers = await Promise.all(
      Array.from({ length: 120 }, (_, i) => tries(instances[i % 3], 'u', `r${i}`)),
    );
    const admitted = answers.filter((a) => a === 'ok').length;
    expect(admitted).toBeLessThanOrEqual(50);
    // Early by less than a block (5) per other instance.
    expect(admitted).toBeGreaterThan(50 - 2 * 5);
    expect(answers.filter((a) => a !== 'ok').every((a) => a === 'USER_RATE_LIMITED')).toBe(true);
  });

  it('counts a room over its limit whoever sends', async () => {
    const limit = new ChatRateLimit(new MemoryKeyValueStore('t:'), config(100, 6));
    const answers: string[] = [];
    for (let i = 0; i < 7; i++) answers.push(await tries(limit, `u${i}`, 'r'));
    expect(answers).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ROOM_RATE_LIMITED']);
  });
});
