import { MemoryKeyValueStore, MemoryPubSub } from './memory.store';

describe('MemoryKeyValueStore', () => {
  let now = 1_000_000;
  const store = new MemoryKeyValueStore('p:', () => now);
  afterAll(() => store.close());

  it('expires keys after their TTL', async () => {
    await store.set('a', '1', 10);
    expect(await store.get('a')).toBe('1');
    expect(await store.ttl('a')).toBe(10);
    now += 10_000;
    expect(await store.get('a')).toBeNull();
    expect(await store.ttl('a')).toBe(-2);
    await store.set('forever', 'x');
    expect(await store.ttl('forever')).toBe(-1);
  });

  it('claims a key only once until it expires', async () => {
    expect(await store.setIfAbsent('lock', 'me', 5)).toBe(true);
    expect(await store.setIfAbsent('lock', 'you', 5)).toBe(false);
    now += 5_000;
    expect(await store.setIfAbsent('lock', 'you', 5)).toBe(true);
    expect(await store.delete('lock', 'missing')).toBe(1);
  });

  it('counts with a TTL fixed at creation', async () => {
    expect(await store.increment('hits', 60)).toBe(1);
    now += 30_000;
    expect(await store.increment('hits', 60)).toBe(2);
    now += 30_000;
    expect(await store.increment('hits', 60)).toBe(1);
  });

  it('keeps sets', async () => {
    await store.setAdd('s', 'a');
    await store.setAdd('s', 'b', 10);
    expect((await store.setMembers('s')).sort()).toEqual(['a', 'b']);
    await store.setRemove('s', 'a');
    await store.setRemove('s', 'b');
    expect(await store.setMembers('s')).toEqual([]);
    await store.ping();
  });
});

describe('MemoryPubSub', () => {
  it('delivers asynchronously to subscribers until they unsubscribe', async () => {
    const bus = new MemoryPubSub();
    const got: string[] = [];
    const unsubscribe = await bus.subscribe('c', (m) => got.push(m));
    await bus.publish('c', 'one');
    expect(got).toEqual([]);
    await new Promise((r) => setImmediate(r));
    expect(got).toEqual(['one']);
    await unsubscribe();
    await bus.publish('c', 'two');
    await new Promise((r) => setImmediate(r));
    expect(got).toEqual(['one']);
  });
});
