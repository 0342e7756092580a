import { Client, type PoolClient, type QueryConfig, type QueryResult } from 'pg';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditTrailService } from '../../src/modules/audit/export/audit-trail.service';
import { AuditService } from '../../src/modules/audit/audit.service';
import { createTestApp, type TestApp } from '../support/test-app';
import { ctx, sampleEvent } from './audit-support';

type Query = (config: QueryConfig | string, values?: unknown[]) => Promise<QueryResult>;

// A record written in its caller's transaction goes out with the transaction's COMMIT, in the
// same round trip (AuditService.beforeTransactionCommit): the change and its record commit
// together or not at all.
describe('audit trail: records written with their transaction’s commit', () => {
  let t: TestApp;
  let admin: Client;
  let db: DataSource;
  let audit: AuditService;

  const probes = async (): Promise<number[]> =>
    (await admin.query<{ id: number }>('SELECT id FROM commit_probe ORDER BY id')).rows.map(
      (r) => r.id,
    );
  const requestIdsAfter = async (seq: string): Promise<string[]> =>
    (
      await admin.query<{ request_id: string }>(
        'SELECT request_id FROM audit_events WHERE seq > $1 ORDER BY seq',
        [seq],
      )
    ).rows.map((r) => r.request_id);
  const headSeq = async (): Promise<string> =>
    (await admin.query<{ seq: string }>('SELECT seq FROM audit_chain_head')).rows[0].seq;
  const change = (m: EntityManager, id: number): Promise<unknown> =>
    m.query('INSERT INTO commit_probe (id) VALUES ($1)', [id]);

  beforeAll(async () => {
    t = await createTestApp({ env: { AUDIT_CHECKPOINT_EVERY_RECORDS: '5' } });
    admin = new Client({ connectionString: t.db.url });
    await admin.connect();
    await admin.query('CREATE TABLE commit_probe (id int PRIMARY KEY)');
    db = t.app.get(DataSource);
    audit = t.app.get(AuditService);
  });
  afterAll(async () => {
    await admin.end();
    await t.close();
  });

  it('sends the record and the COMMIT before either is answered', async () => {
    const from = await headSeq();
    const runner = db.createQueryRunner();
    const client = (await runner.connect()) as PoolClient;
    const events: string[] = [];
    const query = client.query.bind(client) as Query;
    const spied: Query = (config, values) => {
      const text = typeof config === 'string' ? config : config.text;
      const what =
        text === 'COMMIT' ? 'COMMIT' : text.includes('INSERT INTO audit_events') && 'record';
      if (what) events.push(`sent ${what}`);
      const answer = query(config, values);
      if (what) void answer.then(() => events.push(`answered ${what}`));
      return answer;
    };
    Object.assign(client, { query: spied });
    try {
      await runner.startTransaction();
      await change(runner.manager, 1);
      expect(await audit.record(sampleEvent(1), runner.manager)).toBeUndefined();
      // Not written yet: it waits for the commit.
      expect(await runner.query('SELECT count(*)::int AS n FROM audit_events')).toEqual([
        { n: Number(from) },
      ]);
      await runner.commitTransaction();
    } finally {
      Object.assign(client, { query });
      await runner.release();
    }
    expect(events).toEqual(['sent record', 'sent COMMIT', 'answered record', 'answered COMMIT']);
    expect(await probes()).toEqual([1]);
    expect(await requestIdsAfter(from)).toEqual(['req-1']);
    expect(await headSeq()).toBe(String(Number(from) + 1));
  });

  it('rolls the change back and fails the commit when the record cannot be written', async () => {
    const from = await headSeq();
    await admin.query('DELETE FROM audit_chain_head');
    try {
      await expect(
        db.transaction(async (m) => {
          await change(m, 2);
          await audit.record(sampleEvent(2), m);
        }),
      ).rejects.toThrow(/audit_chain_head has no row/);
    } finally {
      await admin.query(
        `INSERT INTO audit_chain_head (id, seq, hash, occurred_at)
         SELECT 1, seq, hash, occurred_at FROM audit_events ORDER BY seq DESC LIMIT 1`,
      );
    }
    // A record the database refuses for its content: the same.
    const bad = sampleEvent(3);
    bad.actor.userId = 'not-a-uuid';
    await expect(
      db.transaction(async (m) => {
        await change(m, 3);
        await audit.record(bad, m);
      }),
    ).rejects.toThrow(/uuid/);
    expect(await probes()).toEqual([1]);
    expect(await requestIdsAfter(from)).toEqual([]);
    // The pool's connections are fine afterwards.
    await db.transaction(async (m) => {
      await change(m, 4);
      await audit.record(sampleEvent(4), m);
    });
    expect(await probes()).toEqual([1, 4]);
    expect(await requestIdsAfter(from)).toEqual(['req-4']);
  });

  it('writes nothing of a transaction that fails after recording', async () => {
    const from = await headSeq();
    await expect(
      db.transaction(async (m) => {
        await change(m, 5);
        await audit.record(sampleEvent(5), m);
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await probes()).toEqual([1, 4]);
    expect(await requestIdsAfter(from)).toEqual([]);
  });

  it('writes a record inside a savepoint at once, so that rolling back to it drops the record', async () => {
    const from = await headSeq();
    await db.transaction(async (m) => {
      await audit.record(sampleEvent(6), m);
      await m.transaction(async (inner) => {
        expect(await audit.record(sampleEvent(7), inner)).toBe(String(Number(from) + 1));
      });
      await expect(
        m.transaction(async (inner) => {
          await audit.record(sampleEvent(8), inner);
          throw new Error('the inner change failed');
        }),
      ).rejects.toThrow('the inner change failed');
      await audit.record(sampleEvent(9), m);
    });
    expect(await requestIdsAfter(from)).toEqual(['req-7', 'req-6', 'req-9']);
    expect((await t.app.get(AuditTrailService).verify({}, ctx)).valid).toBe(true);
  });

  it('signs the checkpoint due at such a record once it is committed', async () => {
    // Checkpoints every 5 records: write until the head passes the next multiple of 5.
    const due = (Math.floor(Number(await headSeq()) / 5) + 1) * 5;
    for (let i = 100; Number(await headSeq()) < due; i++) {
      await db.transaction((m) => audit.record(sampleEvent(i), m));
    }
    const { rows } = await admin.query<{ seq: string }>(
      'SELECT seq FROM audit_checkpoints ORDER BY seq DESC LIMIT 1',
    );
    expect(rows).toEqual([{ seq: String(due) }]);
    const result = await t.app.get(AuditTrailService).verify({}, ctx);
    expect(result).toMatchObject({ valid: true, checked: due });
  });
});
