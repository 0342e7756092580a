import { DataSource } from 'typeorm';
import { chainHash, GENESIS_HASH } from '../../src/modules/audit/chain/audit-chain';
import { AuditCheckpointer } from '../../src/modules/audit/chain/audit-checkpointer';
import { rowToChainRecord } from '../../src/modules/audit/audit-mapper';
import { AuditTrailService } from '../../src/modules/audit/export/audit-trail.service';
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
    // They were batched: fewer transactions (the rows' xmin) than records.
    const [{ batches }] = await db.query<{ batches: number }[]>(
      'SELECT count(DISTINCT xmin::text)::int AS batches FROM audit_events',
    );
    expect(batches).toBeLessThan(n);
    // Each due seq (every 10th) is covered by a checkpoint signed right after its batch
    // committed, at the head that batch left (so at or after the due seq, within a batch).
    const cps = (
      await db.query<{ seq: string }[]>('SELECT seq FROM audit_checkpoints ORDER BY seq')
    ).map((c) => Number(c.seq));
    for (let due = 10; due <= n; due += 10)
      expect(cps.some((seq) => seq >= due && seq < due + 64)).toBe(true);
    expect(cps[cps.length - 1]).toBe(n);
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
    // A failure once the records are inserted: a deferred check that refuses the COMMIT.
    await db.query(`CREATE FUNCTION refuse_audit_commit() RETURNS trigger LANGUAGE plpgsql AS
      $$ BEGIN RAISE EXCEPTION 'commit refused'; END $$`);
    await db.query(`CREATE CONSTRAINT TRIGGER refuse_at_commit AFTER INSERT ON audit_events
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.request_id LIKE 'req-20%')
      EXECUTE FUNCTION refuse_audit_commit()`);
    try {
      const settled = await Promise.allSettled(
        Array.from({ length: 5 }, (_, i) => audit.record(sampleEvent(2000 + i))),
      );
      expect(settled.map((s) => s.status)).toEqual(Array(5).fill('rejected'));
      expect(await rows()).toEqual(before);
    } finally {
      await db.query('DROP TRIGGER refuse_at_commit ON audit_events');
      await db.query('DROP FUNCTION refuse_audit_commit()');
    }

    // The chain goes on from where it was.
    const seq = await audit.record(sampleEvent(3000));
    expect(Number(seq)).toBe(before.length + 1);
    expectValidChain(await rows());
  });

  it('keeps the records of a batch whose checkpoint cannot be signed; the timer signs the head later', async () => {
    const before = (await rows()).length;
    const checkpointer = t.app.get(AuditCheckpointer);
    const signedHead = async () =>
      Number(
        (
          await db.query<{ seq: string }[]>('SELECT max(seq)::text AS seq FROM audit_checkpoints')
        )[0].seq,
      );
    const signedBefore = await signedHead();
    jest.spyOn(checkpointer, 'isDue').mockReturnValue(true);
    jest
      .spyOn(checkpointer, 'checkpointHead')
      .mockRejectedValue(new Error('checkpoint could not be written'));
    const seqs = await Promise.all(
      Array.from({ length: 3 }, (_, i) => audit.record(sampleEvent(3100 + i))),
    );
    expect(seqs.map(Number)).toEqual([before + 1, before + 2, before + 3]);
    expect(await rows()).toHaveLength(before + 3);
    expect(await signedHead()).toBe(signedBefore);
    jest.restoreAllMocks();
    // What the checkpoint timer does.
    await checkpointer.checkpointHead();
    expect(await signedHead()).toBe(before + 3);
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
