import type { AppConfig } from '../../config/app-config';
import { MemoryKeyValueStore } from '../../infra/redis/memory.store';
import type { InstanceLiveness } from '../sessions/instance-liveness.service';
import { SocketSlots } from './socket-slots';

describe('SocketSlots', () => {
  const store = new MemoryKeyValueStore('t:');
  const config = { signaling: { maxSocketsPerUser: 2 } } as AppConfig;
  const alive = new Set(['here', 'other']);
  const presenceOn = (instanceId: string) =>
    ({
      instanceId,
      instanceAlive: (id: string) => Promise.resolve(alive.has(id)),
    }) as unknown as InstanceLiveness;
  const here = new SocketSlots(store, config, presenceOn('here'));
  const other = new SocketSlots(store, config, presenceOn('other'));
  afterAll(() => store.close());

  it('counts a user’s sockets across instances and frees a place on release', async () => {
    expect(await here.claim('u1', 'a')).toBe(true);
    expect(await other.claim('u1', 'b')).toBe(true);
    expect(await here.claim('u1', 'c')).toBe(false);
    expect(await here.claim('u2', 'c')).toBe(true);
    await other.release('u1', 'b');
    expect(await here.claim('u1', 'c')).toBe(true);
  });

  it('reclaims the places of an instance whose heartbeat is gone', async () => {
    expect(await other.claim('u3', 'x')).toBe(true);
    expect(await other.claim('u3', 'y')).toBe(true);
    expect(await here.claim('u3', 'z')).toBe(false);
    alive.delete('other');
    expect(await here.claim('u3', 'z')).toBe(true);
    expect(await store.setMembers('signaling:user-sockets:u3')).toEqual(['here:z']);
  });
});
