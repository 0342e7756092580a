import 'reflect-metadata';
import { Client, type QueryResultRow } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/infra/database/typeorm-options';
import {
  CLAIM_SQL,
  claimParameters,
  OutboxRepository,
} from '../../src/modules/outbox/outbox.repository';
import { OutboxChannel, OutboxMessageEntity } from '../../src/modules/outbox/outbox-message.entity';
import { createTestDatabase, type TestDatabase } from '../support/test-app';

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Rows Removed by Filter'?: number;
  'Heap Fetches'?: number;
  Plans?: PlanNode[];
}

const nodes = (n: PlanNode): PlanNode[] => [n, ...(n.Plans ?? []).flatMap(nodes)];

const BATCH = 20;
const CHANNELS = [OutboxChannel.Email, OutboxChannel.Webhook];
const [, , , CANDIDATES] = claimParameters(CHANNELS, BATCH, 60);

// The relay's claim (docs/notifications.md) searches the partial index of pending messages
// with an index-only scan, a few batches per channel at most, however long the backlog, and
// then visits and locks only the rows it takes: its plan under 100,000 pending rows.
describe('outbox claim plan', () => {
  let db: TestDatabase;
  let pg: Client;

  beforeAll(async () => {
    db = await createTestDatabase();
    pg = new Client({ connectionString: db.url });
    await pg.connect();
  });
  afterAll(async () => {
    await pg?.end();
    await db?.drop();
  });

  // The claim's plan, run and rolled back. With `vacuum`, the table is vacuumed first (the
  // rolled-back claim of one EXPLAIN leaves its pages no longer all-visible for the next).
  async function explain(vacuum: boolean): Promise<{ text: string; plan: PlanNode }> {
    const run = async <T>(sql: string): Promise<T[]> => {
      if (vacuum) await pg.query('VACUUM notification_outbox');
      await pg.query('BEGIN');
      try {
        return (await pg.query<T & QueryResultRow>(sql, claimParameters(CHANNELS, BATCH, 60))).rows;
      } finally {
        await pg.query('ROLLBACK');
      }
    };
    const json = await run<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
      `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${CLAIM_SQL}`,
    );
    const text = await run<{ 'QUERY PLAN': string }>(
      `EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${CLAIM_SQL}`,
    );
    return {
      text: text.map((r) => r['QUERY PLAN']).join('\n'),
      plan: json[0]['QUERY PLAN'][0].Plan,
    };
  }

  // The search (twice: for the candidates, and for their count): index-only scans of the due
  // index, once per channel, each stopping at the candidates. Answers their heap fetches.
  function search(all: PlanNode[]): number {
    const scans = all.filter((n) => n['Index Name'] === 'notification_outbox_due_idx');
    expect(scans.map((n) => n['Node Type'])).toEqual(['Index Only Scan', 'Index Only Scan']);
    for (const scan of scans) {
      expect(scan['Actual Loops']).toBe(CHANNELS.length);
      expect(scan['Actual Rows']).toBeLessThanOrEqual(CANDIDATES);
    }
    return scans.reduce((sum, n) => sum + (n['Heap Fetches'] ?? 0) * (n['Actual Loops'] ?? 1), 0);
  }

  // The lock: by primary key, only the rows taken.
  function locked(all: PlanNode[]): void {
    const lock = all.find((n) => n['Node Type'] === 'LockRows');
    expect(lock?.['Actual Rows']).toBe(BATCH);
    const byKey = all.filter((n) => n['Index Name'] === 'notification_outbox_pkey');
    for (const n of byKey)
      expect((n['Actual Rows'] ?? 0) * (n['Actual Loops'] ?? 1)).toBeLessThanOrEqual(BATCH);
  }

  it('searches with an index-only scan under 100,000 pending rows, and locks only its batch', async () => {
    await pg.query(
      `INSERT INTO notification_outbox (channel, recipient, kind, payload, next_attempt_at, status)
       SELECT CASE WHEN i % 10 = 0 THEN 'webhook' ELSE 'email' END, 'r' || i || '@example.test',
              'password_reset', '{"token":"t"}'::jsonb,
              now() - make_interval(secs => i), 'pending'
         FROM generate_series(1, 100000) AS i`,
    );
    await pg.query(
      `INSERT INTO notification_outbox (channel, recipient, kind, payload, status)
       SELECT 'email', 'done' || i || '@example.test', 'password_reset', '{}'::jsonb, 'sent'
         FROM generate_series(1, 20000) AS i`,
    );
    await pg.query('VACUUM (ANALYZE) notification_outbox');
    const { text, plan } = await explain(true);
    console.log(text);
    const all = nodes(plan);
    expect(all.some((n) => n['Node Type'] === 'Seq Scan')).toBe(false);
    // No step handles more than the candidates of both channels.
    expect(Math.max(...all.map((n) => n['Actual Rows'] ?? 0))).toBeLessThanOrEqual(
      CANDIDATES * CHANNELS.length,
    );
    // After VACUUM every page of the table is all-visible: the search reads no row at all.
    expect(search(all)).toBe(0);
    locked(all);

    // Pages changed since the last vacuum (here by the claim just rolled back) are no longer
    // all-visible: the search checks the visibility of the candidates on them in the table,
    // never more rows than the candidates.
    const again = await explain(false);
    console.log(again.text);
    const fetched = search(nodes(again.plan));
    expect(fetched).toBeGreaterThan(0);
    expect(fetched).toBeLessThanOrEqual(2 * CANDIDATES * CHANNELS.length);
  });

  it('is not slowed by pending messages of a channel without a sender', async () => {
    await pg.query(
      `INSERT INTO notification_outbox (channel, recipient, kind, payload, next_attempt_at, status)
       SELECT 'push', 'u' || i, 'call.incoming', '{}'::jsonb,
              now() - interval '2 days' - make_interval(secs => i), 'pending'
         FROM generate_series(1, 100000) AS i`,
    );
    await pg.query('VACUUM (ANALYZE) notification_outbox');
    const { text, plan } = await explain(true);
    console.log(text);
    const all = nodes(plan);
    expect(all.some((n) => n['Node Type'] === 'Seq Scan')).toBe(false);
    expect(all.reduce((sum, n) => sum + (n['Rows Removed by Filter'] ?? 0), 0)).toBe(0);
    expect(Math.max(...all.map((n) => n['Actual Rows'] ?? 0))).toBeLessThanOrEqual(
      CANDIDATES * CHANNELS.length,
    );
    expect(search(all)).toBe(0);
    locked(all);
  });

  // Claims of other relays holding rows at the same moment: each is skipped, and the claim
  // still takes a full batch from the candidates after them.
  it('takes a full batch while three other claims hold the oldest rows', async () => {
    const others = await Promise.all(
      [1, 2, 3].map(async () => {
        const c = new Client({ connectionString: db.url });
        await c.connect();
        return c;
      }),
    );
    try {
      const held = new Set<string>();
      for (const c of others) {
        await c.query('BEGIN');
        const { rows } = await c.query<{ id: string }>(
          CLAIM_SQL,
          claimParameters(CHANNELS, BATCH, 60),
        );
        expect(rows).toHaveLength(BATCH);
        for (const r of rows) held.add(r.id);
      }
      expect(held.size).toBe(3 * BATCH);
      await pg.query('BEGIN');
      const { rows } = await pg.query<{ id: string }>(
        CLAIM_SQL,
        claimParameters(CHANNELS, BATCH, 60),
      );
      await pg.query('ROLLBACK');
      expect(rows).toHaveLength(BATCH);
      expect(rows.some((r) => held.has(r.id))).toBe(false);
    } finally {
      for (const c of others) await c.query('ROLLBACK').finally(() => c.end());
    }
  });

  // Claims of four relays at once, in a loop: each gets full batches (a claim whose candidates
  // all went to the others searches again), and no row is handed to two of them.
  it('gives concurrent relays full batches, never one row twice', async () => {
    const dataSource = new DataSource({
      ...dataSourceOptions({ url: db.url, poolSize: 4, statementTimeoutMs: 60_000 }),
      entities: [OutboxMessageEntity],
    });
    await dataSource.initialize();
    try {
      const repository = new OutboxRepository(dataSource.getRepository(OutboxMessageEntity));
      const taken = await Promise.all(
        [1, 2, 3, 4].map(async () => {
          const ids: string[] = [];
          for (let i = 0; i < 10; i++) {
            const batch = await repository.claim(CHANNELS, BATCH, 60);
            expect(batch).toHaveLength(BATCH);
            ids.push(...batch.map((m) => m.id));
          }
          return ids;
        }),
      );
      const all = taken.flat();
      expect(all).toHaveLength(4 * 10 * BATCH);
      expect(new Set(all).size).toBe(all.length);
    } finally {
      await dataSource.destroy();
    }
  });

  it('answers what is due when fewer than a batch are', async () => {
    await pg.query(`UPDATE notification_outbox SET status = 'sent' WHERE status = 'pending'`);
    await pg.query(
      `INSERT INTO notification_outbox (channel, recipient, kind, payload, status)
       SELECT 'webhook', 'w' || i, 'call.ended', '{}'::jsonb, 'pending'
         FROM generate_series(1, 7) AS i`,
    );
    const dataSource = new DataSource({
      ...dataSourceOptions({ url: db.url, poolSize: 1, statementTimeoutMs: 60_000 }),
      entities: [OutboxMessageEntity],
    });
    await dataSource.initialize();
    try {
      const repository = new OutboxRepository(dataSource.getRepository(OutboxMessageEntity));
      expect(await repository.claim(CHANNELS, BATCH, 60)).toHaveLength(7);
      expect(await repository.claim(CHANNELS, BATCH, 60)).toEqual([]);
    } finally {
      await dataSource.destroy();
    }
  });
});
