import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { AuditTrailService } from '../../src/modules/audit/export/audit-trail.service';
import { AuditService } from '../../src/modules/audit/audit.service';
import { createTestApp, type TestApp } from '../support/test-app';
import { ctx, recordMany, sampleEvent } from './audit-support';

// The chain head row (migration AddAuditChainHead): one record is appended by one statement
// that takes the lock, the head and the time from it; batches read it in the locking
// statement; a trigger moves it whoever inserts.
describe('audit trail: the chain head row', () => {
  let t: TestApp;
  let admin: Client;

  const head = async () =>
    (
      await admin.query<{ seq: string; hash: string; at: Date | null }>(
        'SELECT seq, hash, occurred_at AS at FROM audit_chain_head',
      )
    ).rows;
  const last = async () =>
    (
      await admin.query<{ seq: string; hash: string; at: Date }>(
        'SELECT seq, hash, occurred_at AS at FROM audit_events ORDER BY seq DESC LIMIT 1',
      )
    ).rows[0];

  beforeAll(async () => {
    t = await createTestApp();
    admin = new Client({ connectionString: t.db.url });
    await admin.connect();
  });
  afterAll(async () => {
    await admin.end();
    await t.close();
  });

  it('starts at the genesis and follows every append, single and batched', async () => {
    expect(await head()).toEqual([{ seq: '0', hash: '0'.repeat(64), at: null }]);
    await recordMany(t, 2);
    expect(await head()).toEqual([await last()]);
    // Pushed together: the first goes alone, the rest are group-committed as one batch.
    const audit = t.app.get(AuditService);
    const seqs = await Promise.all([1, 2, 3, 4].map((i) => audit.record(sampleEvent(10 + i))));
    expect(seqs.map(Number)).toEqual([3, 4, 5, 6]);
    expect(await head()).toEqual([await last()]);
    const result = await t.app.get(AuditTrailService).verify({}, ctx);
    expect(result).toMatchObject({ valid: true, checked: 6 });
  });

  it('hashes in the database exactly as audit-chain.ts does, whatever the text', async () => {
    const audit = t.app.get(AuditService);
    const event = sampleEvent(40);
    event.actor.userAgent = 'Ünïcode — 🩺 \u2028 "quoted" \\ tab\t nul\u0000 lone\uD800';
    event.details = { ключ: 'значение 🩺', nested: { b: [1.5, -0, 1e21], a: null } };
    await t.app.get(DataSource).transaction((m) => audit.record(event, m));
    const { rows } = await admin.query<{ ua: string }>(
      'SELECT actor_user_agent AS ua FROM audit_events ORDER BY seq DESC LIMIT 1',
    );
    expect(rows[0].ua).toBe('Ünïcode — 🩺 \u2028 "quoted" \\ tab\t nul\uFFFD lone\uFFFD');
    expect((await t.app.get(AuditTrailService).verify({}, ctx)).valid).toBe(true);
  });

  it('never dates a record before the one it follows, even when the clock is stepped back', async () => {
    const ahead = new Date(Date.now() + 3_600_000);
    await admin.query('UPDATE audit_chain_head SET occurred_at = $1', [ahead]);
    const audit = t.app.get(AuditService);
    const single = await audit.record(sampleEvent(20));
    await t.app
      .get(DataSource)
      .transaction(async (m) => audit.record(sampleEvent(21), m).then(() => undefined));
    await Promise.all([22, 23, 24].map((i) => audit.record(sampleEvent(i))));
    const { rows } = await admin.query<{ at: Date }>(
      'SELECT occurred_at AS at FROM audit_events WHERE seq >= $1 ORDER BY seq',
      [single],
    );
    expect(rows).toHaveLength(5);
    for (const row of rows) expect(row.at.getTime()).toBe(ahead.getTime());
    expect((await t.app.get(AuditTrailService).verify({}, ctx)).valid).toBe(true);
  });

  it('refuses to append, with the cause, when the head row is missing', async () => {
    const before = await last();
    await admin.query('DELETE FROM audit_chain_head');
    try {
      await expect(t.app.get(AuditService).record(sampleEvent(30))).rejects.toThrow(
        /audit_chain_head has no row/,
      );
      expect(await last()).toEqual(before);
    } finally {
      await admin.query(
        `INSERT INTO audit_chain_head (id, seq, hash, occurred_at)
         SELECT 1, seq, hash, occurred_at FROM audit_events ORDER BY seq DESC LIMIT 1`,
      );
    }
    await recordMany(t, 1, 31);
    expect((await t.app.get(AuditTrailService).verify({}, ctx)).valid).toBe(true);
  });
});
