import { RoomSocketsCache, type RoomSockets } from './room-sockets.cache';

function deferred(): { promise: Promise<RoomSockets>; resolve: (v: RoomSockets) => void } {
  let resolve!: (v: RoomSockets) => void;
  const promise = new Promise<RoomSockets>((r) => (resolve = r));
  return { promise, resolve };
}

const A = new Map([['u1', { socketId: 's1', instanceId: 'i1' }]]);
const B = new Map([['u2', { socketId: 's2', instanceId: 'i1' }]]);

describe('RoomSocketsCache', () => {
  let cache: RoomSocketsCache;
  let loads: number;
  const load = (value: RoomSockets) => () => {
    loads++;
    return Promise.resolve(value);
  };

  beforeEach(() => {
    cache = new RoomSocketsCache();
    cache.setLive(true);
    loads = 0;
  });

  it('answers from the held view until the room changes', async () => {
    expect(cache.peek('r1')).toBeUndefined();
    expect(await cache.get('r1', load(A))).toBe(A);
    expect(await cache.get('r1', load(B))).toBe(A);
    expect(cache.peek('r1')).toBe(A);
    expect(loads).toBe(1);
    cache.invalidate('r1');
    expect(cache.holds('r1')).toBe(false);
    expect(cache.peek('r1')).toBeUndefined();
    expect(await cache.get('r1', load(B))).toBe(B);
    expect(loads).toBe(2);
  });

  it('keeps nothing while the change feed is down, and drops everything when it goes', async () => {
    await cache.get('r1', load(A));
    cache.setLive(false);
    expect(cache.holds('r1')).toBe(false);
    expect(cache.peek('r1')).toBeUndefined();
    await cache.get('r1', load(A));
    await cache.get('r1', load(A));
    expect(loads).toBe(3);
    expect(cache.holds('r1')).toBe(false);
    cache.setLive(true);
    await cache.get('r1', load(A));
    expect(cache.holds('r1')).toBe(true);
  });

  it('never keeps a load that a change overtook, and does not hand it to later callers', async () => {
    const first = deferred();
    const early = cache.get('r1', () => first.promise);
    // Callers during the load share it.
    const shared = cache.get('r1', load(B));
    cache.invalidate('r1');
    // A caller after the change does not get the load that may predate it.
    const late = cache.get('r1', load(B));
    first.resolve(A);
    expect(await early).toBe(A);
    expect(await shared).toBe(A);
    expect(await late).toBe(B);
    expect(loads).toBe(1);
    // What is held is the load that started after the change.
    expect(await cache.get('r1', load(A))).toBe(B);
  });

  it('does not keep a load that ran while the feed was lost, even if it came back', async () => {
    const slow = deferred();
    cache.setLive(false);
    const pending = cache.get('r1', () => slow.promise);
    cache.setLive(true);
    slow.resolve(A);
    await pending;
    expect(cache.holds('r1')).toBe(false);
  });

  it('`*` drops every room; a disconnected socket drops the rooms it was joined in', async () => {
    await cache.get('r1', load(A));
    await cache.get('r2', load(B));
    cache.invalidateSocket('s2');
    expect([cache.holds('r1'), cache.holds('r2')]).toEqual([true, false]);
    cache.invalidate('*');
    expect(cache.holds('r1')).toBe(false);
  });

  it('lets an entry age out and bounds the number of rooms held', async () => {
    let now = 1_000;
    cache.now = () => now;
    await cache.get('r1', load(A));
    now += RoomSocketsCache.MAX_AGE_MS - 1;
    expect(cache.peek('r1')).toBe(A);
    now += 1;
    expect(cache.peek('r1')).toBeUndefined();
    expect(cache.holds('r1')).toBe(false);
    expect(await cache.get('r1', load(B))).toBe(B);
    for (let i = 0; i < RoomSocketsCache.MAX_ENTRIES + 5; i++) await cache.get(`x${i}`, load(A));
    expect(cache.holds('r1')).toBe(false);
    expect(cache.holds(`x${RoomSocketsCache.MAX_ENTRIES + 4}`)).toBe(true);
  });

  it('forgets a failed load so that the next caller tries again', async () => {
    await expect(cache.get('r1', () => Promise.reject(new Error('db down')))).rejects.toThrow(
      'db down',
    );
    expect(await cache.get('r1', load(A))).toBe(A);
  });
});
