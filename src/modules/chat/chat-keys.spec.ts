import type { DataSource, EntityManager } from 'typeorm';
import { MemoryPubSub } from '../../infra/redis/memory.store';
import type { PatientProfileService } from '../users/patient-profile/patient-profile.service';
import { ChatKeys } from './chat-keys';

// Two instances sharing one bus and one key table.
function world() {
  const table = new Map<string, Buffer>();
  let reads = 0;
  let made = 0;
  const keys = {
    dataKey: (id: string) => {
      reads += 1;
      return Promise.resolve(table.get(id) ?? null);
    },
    dataKeyForWrite: (id: string) => {
      made += 1;
      const key = Buffer.alloc(32, made);
      table.set(id, key);
      return Promise.resolve(key);
    },
  } as unknown as PatientProfileService;
  const dataSource = {
    transaction: <T>(work: (m: EntityManager) => Promise<T>) => work({} as EntityManager),
  } as unknown as DataSource;
  const bus = new MemoryPubSub();
  return {
    table,
    bus,
    reads: () => reads,
    instance: () => new ChatKeys(dataSource, keys, bus),
  };
}

describe('ChatKeys', () => {
  it('makes a key on first use, then seals from memory until its lifetime ends', async () => {
    const w = world();
    const keys = w.instance();
    let now = 0;
    keys.now = () => now;
    const first = await keys.forSealing('p1');
    expect(w.table.get('p1')).toEqual(first);
    const reads = w.reads();
    expect(await keys.forSealing('p1')).toEqual(first);
    expect(w.reads()).toBe(reads);
    now = ChatKeys.TTL_MS + 1;
    expect(await keys.forSealing('p1')).toEqual(first);
    expect(w.reads()).toBe(reads + 1);
  });

  it('forgets an erased person’s key here and on the other instances', async () => {
    const w = world();
    const here = w.instance();
    const there = w.instance();
    await there.onApplicationBootstrap();
    const old = await there.forSealing('p1');
    // The erasure shreds the key; the next seal makes a new one, everywhere.
    w.table.delete('p1');
    await here.forget('p1');
    await new Promise((r) => setImmediate(r));
    const fresh = await there.forSealing('p1');
    expect(fresh.equals(old)).toBe(false);
    expect(w.table.get('p1')).toEqual(fresh);
    await there.onModuleDestroy();
  });

  it('does not keep a key read while an erasure happened', async () => {
    const w = world();
    const keys = w.instance();
    w.table.set('p1', Buffer.alloc(32, 9));
    const reading = keys.forSealing('p1');
    await keys.forget('p1');
    await reading;
    const reads = w.reads();
    await keys.forSealing('p1');
    expect(w.reads()).toBe(reads + 1);
  });

  it('still forgets locally when the bus is away', async () => {
    const w = world();
    const keys = w.instance();
    jest.spyOn(w.bus, 'publish').mockRejectedValue(new Error('redis away'));
    await keys.forSealing('p1');
    await expect(keys.forget('p1')).resolves.toBeUndefined();
    const reads = w.reads();
    await keys.forSealing('p1');
    expect(w.reads()).toBe(reads + 1);
  });

  it('shares one read between sends that miss at the same moment, but not across an erasure', async () => {
    const w = world();
    w.table.set('p1', Buffer.alloc(32, 7));
    const keys = w.instance();
    let now = 0;
    keys.now = () => now;
    const together = await Promise.all([keys.forSealing('p1'), keys.forSealing('p1')]);
    expect(together[0]).toEqual(together[1]);
    expect(w.reads()).toBe(1);

    now = ChatKeys.TTL_MS + 1;
    const before = keys.forSealing('p1');
    await keys.forget('p1');
    const after = keys.forSealing('p1');
    await Promise.all([before, after]);
    // The send after the erasure did not join the read that started before it.
    expect(w.reads()).toBe(3);
  });
});
