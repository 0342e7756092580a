import type { AppConfig } from '../../config/app-config';
import type { RedisConnections } from '../../infra/redis/redis-connections';
import { RelayBus } from './relay-bus';

// A stand-in for the two ioredis connections: what is published, in order, and a way to
// hand the subscriber a message.
class FakeRedis {
  readonly published: [string, string][] = [];
  readonly subscribed: string[] = [];
  private readonly listeners: ((channel: Buffer, message: Buffer) => void)[] = [];
  publish(channel: string, message: string): Promise<number> {
    this.published.push([channel, message]);
    return Promise.resolve(1);
  }
  on(event: string, listener: (channel: Buffer, message: Buffer) => void): this {
    if (event === 'messageBuffer') this.listeners.push(listener);
    return this;
  }
  subscribe(channel: string): Promise<number> {
    this.subscribed.push(channel);
    return Promise.resolve(1);
  }
  receive(channel: string, message: string): void {
    for (const l of this.listeners) l(Buffer.from(channel), Buffer.from(message));
  }
}

class FakeSocket {
  readonly got: [string, object][] = [];
  emit(event: string, payload: object): boolean {
    this.got.push([event, payload]);
    return true;
  }
}

const config = { redis: { keyPrefix: 'hk:' } } as AppConfig;
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));
const offer = (n: number) => ({ roomId: 'r', from: 'u', sdp: `v=0 ${n}` });

function withRedis(): { bus: RelayBus; pub: FakeRedis; sub: FakeRedis } {
  const made: Record<string, FakeRedis> = {};
  const redis = {
    enabled: true,
    duplicate: (name: string) => (made[name] = new FakeRedis()),
  } as unknown as RedisConnections;
  const bus = new RelayBus(redis, config);
  return { bus, pub: made['socketio-pub'], sub: made['socketio-sub'] };
}

describe('RelayBus', () => {
  it('sends one PUBLISH per target instance per turn of the event loop, in order', async () => {
    const { bus, pub } = withRedis();
    expect(bus.send('i1', 's1', 'call:offer', offer(1))).toBe(true);
    bus.send('i2', 's2', 'call:answer', offer(2));
    bus.send('i1', 's3', 'call:ice-candidate', offer(3));
    expect(pub.published).toEqual([]);
    await turn();
    expect(pub.published).toEqual([
      [
        'hk:relay#i1',
        JSON.stringify(['s1', 'call:offer', offer(1), 's3', 'call:ice-candidate', offer(3)]),
      ],
      ['hk:relay#i2', JSON.stringify(['s2', 'call:answer', offer(2)])],
    ]);
    await turn();
    expect(pub.published).toHaveLength(2);
  });

  it('publishes the queued relays before anything the adapter publishes after them', async () => {
    const { bus, pub } = withRedis();
    bus.send('i1', 's1', 'call:offer', offer(1));
    await pub.publish('hk:socket.io#/#s1#', 'participant-left');
    bus.send('i1', 's1', 'call:offer', offer(2));
    await turn();
    expect(pub.published.map(([channel]) => channel)).toEqual([
      'hk:relay#i1',
      'hk:socket.io#/#s1#',
      'hk:relay#i1',
    ]);
  });

  it('splits a burst into batches of 128, keeping their order', async () => {
    const { bus, pub } = withRedis();
    for (let n = 0; n < 300; n++) bus.send('i1', 's1', 'call:ice-candidate', offer(n));
    await turn();
    const batches = pub.published.map(([, m]) => JSON.parse(m) as unknown[]);
    expect(batches.map((b) => b.length / 3)).toEqual([128, 128, 44]);
    const sdps = batches.flatMap((b) => b.filter((_, i) => i % 3 === 2)) as { sdp: string }[];
    expect(sdps.map((p) => p.sdp)).toEqual(Array.from({ length: 300 }, (_, n) => `v=0 ${n}`));
  });

  it('delivers a batch on its own channel to the sockets it holds, skipping what is not a relay', async () => {
    const { bus, sub } = withRedis();
    const here = new FakeSocket();
    const sockets = new Map([['s1', here]]);
    await bus.listen('me', sockets);
    expect(sub.subscribed).toEqual(['hk:relay#me']);
    const batch = [
      ['s1', 'call:offer', offer(1)],
      ['gone', 'call:offer', offer(2)],
      ['s1', 'room:removed', { roomId: 'r' }],
      ['s1', 'call:answer', 'not an object'],
      ['s1', 'call:answer', null],
      [7, 'call:answer', offer(3)],
      ['s1', 'call:ice-candidate', offer(4)],
    ].flat();
    sub.receive('hk:relay#other', JSON.stringify(['s1', 'call:offer', offer(9)]));
    sub.receive('hk:relay#me', JSON.stringify(batch));
    expect(here.got).toEqual([
      ['call:offer', offer(1)],
      ['call:ice-candidate', offer(4)],
    ]);
  });

  it('drops a batch that does not parse or is not whole, and goes on', async () => {
    const { bus, sub } = withRedis();
    const here = new FakeSocket();
    await bus.listen('me', new Map([['s1', here]]));
    sub.receive('hk:relay#me', '{not json');
    sub.receive('hk:relay#me', JSON.stringify({ s1: 'call:offer' }));
    sub.receive('hk:relay#me', JSON.stringify(['s1', 'call:offer']));
    expect(here.got).toEqual([]);
    sub.receive('hk:relay#me', JSON.stringify(['s1', 'call:offer', offer(1)]));
    expect(here.got).toEqual([['call:offer', offer(1)]]);
  });

  it('carries nothing without Redis: the caller emits through the adapter', async () => {
    const bus = new RelayBus({ enabled: false } as RedisConnections, config);
    expect(bus.clients).toBeNull();
    expect(bus.send('i1', 's1', 'call:offer', offer(1))).toBe(false);
    await expect(bus.listen('me', new Map())).resolves.toBeUndefined();
  });
});
