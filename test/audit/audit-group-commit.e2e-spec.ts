import { DataSource } from 'typeorm';
import { chainHash, GENESIS_HASH } from '../../src/modules/audit/audit-chain';
import { AuditCheckpointer } from '../../src/modules/audit/audit-checkpointer';
import { rowToChainRecord } from '../../src/modules/audit/audit-mapper';
import { AuditTrailService } from '../../src/modules/audit/audit-trail.service';
import type { AuditEventRow } from '../../src/modules/audit/audit.repository';
import { AuditService } from '../../src/modules/audit/audit.service';
import { createTestApp, type TestApp } from '../support/test-app';
import { ctx, sampleEvent } from './audit-support';

// Standalone records (no caller transaction) are group-committed: several callers' records
// share one transaction. Each caller must still learn its own seq only after its record has
// committed, and a batch that fails must leave nothing behind.
describe('audit trail: group commit of standalone records', () => {
  let t: TestApp;
  let audit: AuditService;
  let db: DataSource;

  beforeAll(async () => {
    t = await createTestApp({ env: { AUDIT_CHECKPOINT_EVERY_RECORDS: '10' } });
    audit = t.app.get(AuditService);
    db = t.app.get(DataSource);
  });
  afterAll(() => t.close());
  afterEach(() => jest.restoreAllMocks());

  const rows = () => db.query<AuditEventRow[]>('SELECT * FROM audit_events ORDER BY seq');

  function expectValidChain(all: AuditEventRow[]): void {
    expect(all.map((r) => Number(r.seq))).toEqual(all.map((_, i) => i + 1));
    let prev = GENESIS_HASH;
    for (const r of all) {
      expect(r.prev_hash).toBe(prev);
      expect(r.hash).toBe(chainHash(prev, rowToChainRecord(r).body));
      prev = r.hash;
    }
  }

  it('appends concurrent standalone records as one gapless chain, each caller getting the seq of its own record', async () => {
    const n = 150;
    const seqs = await Promise.all(
      Array.from({ length: n }, (_, i) => audit.record(sampleEvent(i))),
    );
    const all = await rows();
    expect(all).toHaveLength(n);
    expectValidChain(all);
    // Each promise resolved with the seq of the record it asked for, and arrival order holds.
    for (const [i, seq] of seqs.entries()) {
      const row = all[Number(seq) - 1];
      expect(row.request_id).toBe(`req-${i}`);
    }
    expect(seqs.map(Number)).toEqual(seqs.map((_, i) => i + 1));
    // They were batched: records of one transaction share the database clock reading.
    const batches = new Set(all.map((r) => r.occurred_at.getTime())).size;
    expect(batches).toBeLessThan(n);
    const cps = await db.query<{ seq: string }[]>('SELECT seq FROM audit_checkpoints ORDER BY seq');
    expect(cps.map((c) => Number(c.seq))).toEqual(
      Array.from({ length: 15 }, (_, i) => (i + 1) * 10),
    );
    const verified = await t.app.get(AuditTrailService).verify({}, ctx);
    expect(verified).toMatchObject({ valid: true });
    expect(verified.checked).toBeGreaterThanOrEqual(n);
  });

  it('fails only the caller whose record the database refuses, and writes the others', async () => {
    const before = (await rows()).length;
    const bad = { ...sampleEvent(1000), subjectId: 'not-a-uuid' };
    const settled = await Promise.allSettled([
      audit.record(sampleEvent(1001)),
      audit.record(bad),
      audit.record(sampleEvent(1002)),
    ]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const all = await rows();
    expect(all.slice(before).map((r) => r.request_id)).toEqual(['req-1001', 'req-1002']);
    expectValidChain(all);
  });

  it('rejects every caller of a batch that fails after its INSERT, and nothing of it is kept', async () => {
    const before = await rows();
    // A failure inside the transaction once the records are inserted (here, the checkpoint).
    jest.spyOn(t.app.get(AuditCheckpointer), 'isDue').mockReturnValue(true);
    jest
      .spyOn(t.app.get(AuditCheckpointer), 'sign')
      .mockRejectedValue(new Error('checkpoint could not be written'));
    const settled = await Promise.allSettled(
      Array.from({ length: 5 }, (_, i) => audit.record(sampleEvent(2000 + i))),
    );
    expect(settled.every((s) => s.status === 'rejected')).toBe(true);
    expect(await rows()).toEqual(before);
    jest.restoreAllMocks();

    // The chain goes on from where it was.
    const seq = await audit.record(sampleEvent(3000));
    expect(Number(seq)).toBe(before.length + 1);
    expectValidChain(await rows());
  });

  it('stores exactly the text it hashed, whatever the strings hold (array and JSON syntax, NUL, lone surrogates, "NULL")', async () => {
    const hostile = [
      'NULL',
      '{"a","b"}',
      'back\\slash "quoted", {braced}',
      'nul\u0000byte',
      'lone \uD800 surrogate',
      'émoji 🩺 ☤',
      '',
    ];
    const events = hostile.map((s, i) => ({
      ...sampleEvent(5000 + i),
      actor: { ...sampleEvent(0).actor, userAgent: s, role: s.slice(0, 8) },
      resource: { type: s, id: s },
      requestId: s,
      details: { s, nested: { list: [s, 1.5, null, true], [s]: -0 } },
    }));
    await Promise.all(events.map((e) => audit.record(e)));
    await db.transaction((m) => audit.record(events[2], m));
    const all = await rows();
    expectValidChain(all);
    expect(all.slice(-8).map((r) => r.actor_user_agent)).toEqual(
      [...hostile, hostile[2]].map((s) =>
        s.replace('\u0000', '\uFFFD').replace('\uD800', '\uFFFD'),
      ),
    );
    expect((await t.app.get(AuditTrailService).verify({}, ctx)).valid).toBe(true);
  });

  it('keeps a record written with the caller’s manager inside the caller’s transaction, without holding the chain', async () => {
    const before = (await rows()).length;
    await expect(
      db.transaction(async (m) => {
        await audit.record(sampleEvent(4000), m);
        throw new Error('business change failed');
      }),
    ).rejects.toThrow('business change failed');
    expect(await rows()).toHaveLength(before);
    // The transaction's record is written with its COMMIT, so it holds nothing while the
    // transaction runs: a standalone record asked for meanwhile is committed first (the
    // transaction waits for it here), and the transaction's record follows it in the chain.
    let standalone: string | undefined;
    await db.transaction(async (m) => {
      await audit.record(sampleEvent(4001), m);
      standalone = await audit.record(sampleEvent(4002));
    });
    expect(Number(standalone)).toBe(before + 1);
    const all = await rows();
    expect(all.slice(before).map((r) => r.request_id)).toEqual(['req-4002', 'req-4001']);
    expectValidChain(all);
  });
});
