import { DataSource } from 'typeorm';
import { AuditCheckpointer } from '../../src/modules/audit/chain/audit-checkpointer';
import { createTestApp, type TestApp } from '../support/test-app';
import { recordMany } from './audit-support';

// AUDIT_CHECKPOINT_EVERY_MINUTES: the timer's tick is captured and fired by hand, so the
// test does not wait for minutes to pass.
describe('audit trail: time-based checkpoints', () => {
  let t: TestApp;
  let tick: (() => void) | undefined;

  beforeAll(async () => {
    const real = global.setInterval;
    const spy = jest.spyOn(global, 'setInterval').mockImplementation(((
      fn: () => void,
      ms: number,
    ) => {
      if (ms === 2 * 60_000) tick = fn;
      return real(fn, ms);
    }) as typeof setInterval);
    try {
      t = await createTestApp({
        env: { AUDIT_CHECKPOINT_EVERY_MINUTES: '2', AUDIT_CHECKPOINT_EVERY_RECORDS: '1000' },
      });
    } finally {
      spy.mockRestore();
    }
  });
  afterAll(() => t.close());

  const checkpoints = () =>
    t.app
      .get(DataSource)
      .query<{ seq: string }[]>('SELECT seq FROM audit_checkpoints ORDER BY seq');

  async function until(predicate: () => Promise<boolean>): Promise<void> {
    for (let i = 0; i < 100; i++) {
      if (await predicate()) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('condition not reached');
  }

  it('signs the head on the timer when the chain has grown, and only then', async () => {
    expect(tick).toBeDefined();
    await recordMany(t, 3);
    expect(await checkpoints()).toEqual([]);
    tick?.();
    await until(async () => (await checkpoints()).length === 1);
    expect(await checkpoints()).toEqual([{ seq: '3' }]);
    // No growth, no new checkpoint (the same call the timer makes, awaited here).
    await t.app.get(AuditCheckpointer).checkpointHead();
    expect(await checkpoints()).toHaveLength(1);
    await recordMany(t, 2, 3);
    tick?.();
    await until(async () => (await checkpoints()).length === 2);
    expect(await checkpoints()).toEqual([{ seq: '3' }, { seq: '5' }]);
  });
});
