import { Client } from 'pg';
import { CLAIM_SQL } from '../../src/modules/outbox/outbox.repository';
import { createTestDatabase, type TestDatabase } from '../support/test-app';

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Rows Removed by Filter'?: number;
  Plans?: PlanNode[];
}

const nodes = (n: PlanNode): PlanNode[] => [n, ...(n.Plans ?? []).flatMap(nodes)];

// The relay's claim (docs/notifications.md) reads the partial index of pending messages, a
// batch per channel at most, however long the backlog: its plan under 100,000 pending rows.
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

  async function explain(channels: string[]): Promise<{ text: string; plan: PlanNode }> {
    await pg.query('BEGIN');
    try {
      const params = [channels, 20, 60];
      const { rows } = await pg.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
        `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${CLAIM_SQL}`,
        params,
      );
      const text = await pg.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${CLAIM_SQL}`,
        params,
      );
      return {
        text: text.rows.map((r) => r['QUERY PLAN']).join('\n'),
        plan: rows[0]['QUERY PLAN'][0].Plan,
      };
    } finally {
      await pg.query('ROLLBACK');
    }
  }

  it('stays on the partial index of due messages under 100,000 pending rows', async () => {
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
    await pg.query('ANALYZE notification_outbox');
    const { text, plan } = await explain(['email', 'webhook']);
    console.log(text);
    const all = nodes(plan);
    expect(all.some((n) => n['Node Type'] === 'Seq Scan')).toBe(false);
    // No step handles more than a batch per channel (the sort orders those 40 rows).
    expect(Math.max(...all.map((n) => n['Actual Rows'] ?? 0))).toBeLessThanOrEqual(40);
    const scan = all.find((n) => n['Index Name'] === 'notification_outbox_due_idx');
    expect(scan).toBeDefined();
    // Each channel's part of the index is read in due order and stops at the batch: at most
    // 20 rows per channel, not 100,000.
    expect(scan!['Actual Rows']).toBeLessThanOrEqual(20);
    expect(scan!['Actual Loops']).toBe(2);
  });

  it('is not slowed by pending messages of a channel without a sender', async () => {
    await pg.query(
      `INSERT INTO notification_outbox (channel, recipient, kind, payload, next_attempt_at, status)
       SELECT 'push', 'u' || i, 'call.incoming', '{}'::jsonb,
              now() - interval '2 days' - make_interval(secs => i), 'pending'
         FROM generate_series(1, 100000) AS i`,
    );
    await pg.query('ANALYZE notification_outbox');
    const { text, plan } = await explain(['email', 'webhook']);
    console.log(text);
    const all = nodes(plan);
    expect(all.some((n) => n['Node Type'] === 'Seq Scan')).toBe(false);
    expect(all.reduce((sum, n) => sum + (n['Rows Removed by Filter'] ?? 0), 0)).toBe(0);
    expect(Math.max(...all.map((n) => n['Actual Rows'] ?? 0))).toBeLessThanOrEqual(40);
  });
});
