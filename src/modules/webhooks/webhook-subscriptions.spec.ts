import type { EntityManager } from 'typeorm';
import { PubSub } from '../../infra/redis/key-value.store';
import { MemoryPubSub } from '../../infra/redis/memory.store';
import { WebhookSubscriptions } from './webhook-subscriptions';
import type { WebhooksRepository } from './webhooks.repository';

const manager = {} as EntityManager;

// The live endpoints' `events`, as the repository would read them, and how often it was asked.
function endpoints(initial: string[][]) {
  const state = { patterns: initial, reads: 0, gate: undefined as Promise<void> | undefined };
  const repository = {
    liveEventPatterns: async () => {
      state.reads++;
      const seen = state.patterns;
      await state.gate;
      return seen;
    },
  } as unknown as WebhooksRepository;
  return { state, repository };
}

describe('WebhookSubscriptions', () => {
  afterEach(() => jest.useRealTimers());

  it('answers from what it read until its lifetime ends', async () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const { state, repository } = endpoints([['call.*']]);
    const subs = new WebhookSubscriptions(repository, new MemoryPubSub());
    expect(await subs.anySubscribed('call.ended', manager)).toBe(true);
    expect(await subs.anySubscribed('consent.granted', manager)).toBe(false);
    expect(state.reads).toBe(1);
    state.patterns = [['consent.*']];
    jest.setSystemTime(1_000_000 + WebhookSubscriptions.TTL_MS);
    expect(await subs.anySubscribed('consent.granted', manager)).toBe(true);
    expect(state.reads).toBe(2);
  });

  it('drops what it knew on a change announced by another instance, and keeps no read that overlapped it', async () => {
    const bus = new MemoryPubSub();
    const { state, repository } = endpoints([]);
    const here = new WebhookSubscriptions(repository, bus);
    const there = new WebhookSubscriptions(repository, bus);
    await here.onApplicationBootstrap();
    await there.onApplicationBootstrap();
    expect(await here.anySubscribed('call.ended', manager)).toBe(false);

    // A read that began before the change and ends after it answers its caller, but is not kept.
    let open: () => void = () => undefined;
    state.gate = new Promise<void>((r) => (open = r));
    const overlapping = here.anySubscribed('call.ended', manager);
    const announced = new Promise<void>((r) => setImmediate(r));
    await here.changed();
    state.patterns = [['*']];
    await there.changed();
    await announced;
    state.gate = undefined;
    open();
    await overlapping;
    const reads = state.reads;
    expect(await here.anySubscribed('call.ended', manager)).toBe(true);
    expect(state.reads).toBe(reads + 1);
    await here.onModuleDestroy();
    await there.onModuleDestroy();
  });

  it('a change that cannot be announced is still dropped here', async () => {
    const broken = new (class extends PubSub {
      publish(): Promise<void> {
        return Promise.reject(new Error('redis away'));
      }
      subscribe(): Promise<() => Promise<void>> {
        return Promise.resolve(() => Promise.resolve());
      }
    })();
    const { state, repository } = endpoints([]);
    const subs = new WebhookSubscriptions(repository, broken);
    expect(await subs.anySubscribed('call.ended', manager)).toBe(false);
    state.patterns = [['call.ended']];
    await subs.changed();
    expect(await subs.anySubscribed('call.ended', manager)).toBe(true);
  });
});
