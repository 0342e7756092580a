import { randomBytes } from 'node:crypto';
import { Client, type PoolClient, type QueryConfig, type QueryResult } from 'pg';
import { DataSource, type EntityManager } from 'typeorm';
import { generateSecrets } from '../../src/config/secrets';
import { chainHashOfCanonical } from '../../src/modules/audit/chain/audit-chain';
import { AuditTrailService } from '../../src/modules/audit/export/audit-trail.service';
import { AuditService, type AuditEventInput } from '../../src/modules/audit/audit.service';
import { createTestApp, type TestApp } from '../support/test-app';
import { ctx, sampleEvent } from './audit-support';

type Query = (config: QueryConfig | string, values?: unknown[]) => Promise<QueryResult>;

// AuditService.recordMany: several records of one transaction appended by one statement
// (APPEND_MANY), chained as one statement per record would chain them.
describe('audit trail: several records in one statement', () => {
  let a: TestApp;
  let b: TestApp;
  let admin: Client;
  let db: DataSource;
  let audit: AuditService;

  const headSeq = async (): Promise<string> =>
    (await admin.query<{ seq: string }>('SELECT seq FROM audit_chain_head')).rows[0].seq;
  const after = async (seq: string) =>
    (
      await admin.query<{
        seq: string;
        request_id: string;
        at: Date;
        prev_hash: string;
        hash: string;
        canonical: string;
      }>(
        `SELECT seq, request_id, occurred_at AS at, prev_hash, hash, canonical
           FROM audit_events WHERE seq > $1 ORDER BY seq`,
        [seq],
      )
    ).rows;
  const probes = async (): Promise<number[]> =>
    (await admin.query<{ id: number }>('SELECT id FROM many_probe ORDER BY id')).rows.map(
      (r) => r.id,
    );
  const change = (m: EntityManager, id: number): Promise<unknown> =>
    m.query('INSERT INTO many_probe (id) VALUES ($1)', [id]);
  const events = (from: number, n: number): AuditEventInput[] =>
    Array.from({ length: n }, (_, i) => sampleEvent(from + i));
  const verified = async (t: TestApp = a) =>
    (await t.app.get(AuditTrailService).verify({}, ctx)).valid;

  beforeAll(async () => {
    const env = { ...generateSecrets(), AUDIT_CHECKPOINT_EVERY_RECORDS: '5' };
    a = await createTestApp({ env });
    b = await createTestApp({
      env,
      db: a.db,
      redisPrefix: `hekim-test:${randomBytes(6).toString('hex')}:`,
    });
    admin = new Client({ connectionString: a.db.url });
    await admin.connect();
    await admin.query('CREATE TABLE many_probe (id int PRIMARY KEY)');
    db = a.app.get(DataSource);
    audit = a.app.get(AuditService);
  });
  afterAll(async () => {
    await admin.end();
    await b.close();
    await a.close();
  });

  it('sends the records of a transaction as one statement with its COMMIT, chained in order', async () => {
    const from = await headSeq();
    const runner = db.createQueryRunner();
    const client = (await runner.connect()) as PoolClient;
    const sent: string[] = [];
    const query = client.query.bind(client) as Query;
    const spied: Query = (config, values) => {
      const text = typeof config === 'string' ? config : config.text;
      const what =
        text === 'COMMIT' ? 'COMMIT' : text.includes('INSERT INTO audit_events') && 'record';
      if (what) sent.push(`sent ${what}`);
      const answer = query(config, values);
      if (what) void answer.then(() => sent.push(`answered ${what}`));
      return answer;
    };
    Object.assign(client, { query: spied });
    // Strings that array and JSON syntax, SQL NULL and PostgreSQL's text would trip over.
    const tricky = sampleEvent(3);
    tricky.actor = { userId: null, role: 'NULL', ip: null, userAgent: '{"a",b}\\ "q" nul\u0000' };
    tricky.subjectId = null;
    tricky.details = { s: 'NULL', arr: ['{', '}', ','], ключ: '🩺 lone\uD800' };
    try {
      await runner.startTransaction();
      await change(runner.manager, 1);
      expect(await audit.record(sampleEvent(1), runner.manager)).toBeUndefined();
      expect(
        await audit.recordMany([sampleEvent(2), tricky, sampleEvent(4)], runner.manager),
      ).toBeUndefined();
      await runner.commitTransaction();
    } finally {
      Object.assign(client, { query });
      await runner.release();
    }
    expect(sent).toEqual(['sent record', 'sent COMMIT', 'answered record', 'answered COMMIT']);
    const rows = await after(from);
    expect(rows.map((r) => r.request_id)).toEqual(['req-1', 'req-2', 'req-3', 'req-4']);
    expect(rows.map((r) => Number(r.seq))).toEqual([1, 2, 3, 4].map((i) => Number(from) + i));
    // Each linked to the one before and hashed as audit-chain.ts hashes, at one time.
    for (const [i, r] of rows.entries()) {
      if (i > 0) expect(r.prev_hash).toBe(rows[i - 1].hash);
      expect(r.hash).toBe(chainHashOfCanonical(r.prev_hash, r.canonical));
      expect(r.at).toEqual(rows[0].at);
    }
    const { rows: ua } = await admin.query<{ ua: string; role: string }>(
      'SELECT actor_user_agent AS ua, actor_role AS role FROM audit_events WHERE request_id = $1',
      ['req-3'],
    );
    expect(ua).toEqual([{ ua: '{"a",b}\\ "q" nul\uFFFD', role: 'NULL' }]);
    expect(await headSeq()).toBe(rows[3].seq);
    expect(await probes()).toEqual([1]);
    expect(await verified()).toBe(true);
  });

  it('rolls the change back with all the records when the head is missing or one record is refused', async () => {
    const from = await headSeq();
    await admin.query('DELETE FROM audit_chain_head');
    try {
      await expect(
        db.transaction(async (m) => {
          await change(m, 2);
          await audit.recordMany(events(10, 3), m);
        }),
      ).rejects.toThrow(/audit_chain_head has no row/);
    } finally {
      await admin.query(
        `INSERT INTO audit_chain_head (id, seq, hash, occurred_at)
         SELECT 1, seq, hash, occurred_at FROM audit_events ORDER BY seq DESC LIMIT 1`,
      );
    }
    const bad = events(20, 3);
    bad[1].subjectId = 'not-a-uuid';
    await expect(
      db.transaction(async (m) => {
        await change(m, 3);
        await audit.recordMany(bad, m);
      }),
    ).rejects.toThrow(/uuid/);
    expect(await probes()).toEqual([1]);
    expect(await after(from)).toEqual([]);
    expect(await headSeq()).toBe(from);
    expect(await verified()).toBe(true);
  });

  it('writes them at once inside a savepoint, signing each checkpoint due among them', async () => {
    const from = Number(await headSeq());
    let seqs: string[] | undefined;
    await db.transaction(async (m) => {
      await m.transaction(async (inner) => {
        expect(await audit.recordMany([], inner)).toEqual([]);
        seqs = await audit.recordMany(events(30, 11), inner);
      });
      await expect(
        m.transaction(async (inner) => {
          await audit.recordMany(events(50, 2), inner);
          throw new Error('the inner change failed');
        }),
      ).rejects.toThrow('the inner change failed');
    });
    expect(seqs).toEqual(Array.from({ length: 11 }, (_, i) => String(from + i + 1)));
    expect((await after(String(from))).map((r) => r.request_id)).toEqual(
      Array.from({ length: 11 }, (_, i) => `req-${30 + i}`),
    );
    const { rows } = await admin.query<{ seq: string }>(
      'SELECT seq FROM audit_checkpoints WHERE seq > $1 ORDER BY seq',
      [from],
    );
    const due = Array.from({ length: 11 }, (_, i) => from + i + 1).filter((s) => s % 5 === 0);
    expect(rows.map((r) => Number(r.seq))).toEqual(due);
    expect(await verified()).toBe(true);
  });

  it('signs the checkpoint due among records written with the COMMIT once they are committed', async () => {
    const from = Number(await headSeq());
    await db.transaction((m) => audit.recordMany(events(60, 6), m));
    const { rows } = await admin.query<{ seq: string }>(
      'SELECT seq FROM audit_checkpoints ORDER BY seq DESC LIMIT 1',
    );
    // Signed at the head after the commit: the last of the six.
    expect(rows).toEqual([{ seq: String(from + 6) }]);
    expect(await verified()).toBe(true);
  });

  it('keeps one gapless chain when two instances append batches at once', async () => {
    const from = Number(await headSeq());
    const sources = [a, b].map((t) => t.app.get(DataSource));
    const writers = [a, b].map((t) => t.app.get(AuditService));
    let written = 0;
    // Three writers per instance (within the pool), each running its transactions in turn.
    const worker = async (w: number): Promise<void> => {
      const k = w % 2;
      for (let i = w; i < 42; i += 6) {
        const n = 1 + (i % 7);
        const batch = events(1000 + i * 10, n);
        if (i % 9 === 8) {
          // A business transaction that fails: its records vanish with it.
          await expect(
            sources[k].transaction(async (m) => {
              await writers[k].recordMany(batch, m);
              throw new Error('business change failed');
            }),
          ).rejects.toThrow('business change failed');
        } else {
          await sources[k].transaction((m) => writers[k].recordMany(batch, m));
          written += n;
        }
      }
    };
    await Promise.all([0, 1, 2, 3, 4, 5].map(worker));
    const rows = await after(String(from));
    expect(rows.map((r) => Number(r.seq))).toEqual(
      Array.from({ length: written }, (_, i) => from + i + 1),
    );
    // Each batch stays together, in its order.
    const batchOf = (r: { request_id: string }) => Math.floor(Number(r.request_id.slice(4)) / 10);
    const starts = rows.filter((r, i) => i === 0 || batchOf(rows[i - 1]) !== batchOf(r));
    expect(new Set(starts.map(batchOf)).size).toBe(starts.length);
    for (const t of [a, b]) expect(await verified(t)).toBe(true);
  });
});
