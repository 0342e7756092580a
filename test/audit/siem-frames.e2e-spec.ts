import { Client } from 'pg';
import { chainHash } from '../../src/modules/audit/chain/audit-chain';
import { rowToChainRecord } from '../../src/modules/audit/audit-mapper';
import type { AuditEventRow } from '../../src/modules/audit/audit.repository';
import { AuditSyslogFormatter } from '../../src/modules/audit/siem/siem-record';
import { SiemRepository } from '../../src/modules/audit/siem/siem.repository';
import { createTestApp, type TestApp } from '../support/test-app';
import { recordMany } from './audit-support';

jest.setTimeout(60_000);

// Appends `n` records the way they were written before the canonical text was stored
// (canonical NULL), continuing the chain from its head.
async function appendWithoutCanonical(db: Client, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const head = await db.query<{ seq: string; hash: string }>(
      'SELECT seq::text, hash FROM audit_chain_head WHERE id = 1',
    );
    const row: AuditEventRow = {
      seq: String(BigInt(head.rows[0].seq) + 1n),
      occurred_at: new Date(`2026-12-07T09:14:0${i}.512Z`),
      actor_user_id: '6f1c0b7e-8a55-4c1e-9a52-3f1f0f6e2d10',
      actor_role: 'doctor',
      actor_ip: '203.0.113.7',
      actor_user_agent: `legacy "agent" ] ş ${i}`,
      action: 'user.read',
      outcome: 'denied',
      resource_type: 'user',
      resource_id: `u-${i}`,
      subject_id: null,
      request_id: `legacy-${i}`,
      details: { i },
      prev_hash: head.rows[0].hash,
      hash: '',
      canonical: null,
    };
    row.hash = chainHash(row.prev_hash, rowToChainRecord(row).body);
    await db.query(
      `INSERT INTO audit_events (seq, occurred_at, actor_user_id, actor_role, actor_ip,
         actor_user_agent, action, outcome, resource_type, resource_id, subject_id, request_id,
         details, prev_hash, hash, canonical)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, NULL)`,
      [
        row.seq,
        row.occurred_at,
        row.actor_user_id,
        row.actor_role,
        row.actor_ip,
        row.actor_user_agent,
        row.action,
        row.outcome,
        row.resource_type,
        row.resource_id,
        row.subject_id,
        row.request_id,
        row.details,
        row.prev_hash,
        row.hash,
      ],
    );
  }
}

// The forwarder's pages as frames written from a binary COPY (siem-frame-copy.ts), against a
// real PostgreSQL: byte for byte what the string formatter makes of the rows, page after page
// in seq order (across 9 → 10, where text order and number order part), with records written
// before the canonical text was stored rendered from their fields in their place.
describe('SiemRepository.framedPage', () => {
  let t: TestApp;
  let db: Client;

  beforeAll(async () => {
    t = await createTestApp();
    db = new Client({ connectionString: t.db.url });
    await db.connect();
    await recordMany(t, 12);
    await appendWithoutCanonical(db, 3);
    await recordMany(t, 8, 12);
  });

  afterAll(async () => {
    await db?.end();
    await t?.close();
  });

  it('gives the formatter’s frames of the rows, page by page, legacy records in place', async () => {
    const repo = t.app.get(SiemRepository);
    const formatter = new AuditSyslogFormatter('pod ş-1');
    const rows = await repo.page('0', 10_000);
    expect(rows.length).toBeGreaterThanOrEqual(23);
    expect(rows.filter((r) => r.outcome === 'denied')).toHaveLength(3);
    const expected = formatter.frames(rows);
    for (const limit of [1, 4, 7, 500]) {
      const parts: Buffer[] = [];
      const lasts: string[] = [];
      let after = '0';
      for (;;) {
        const page = await repo.framedPage(after, limit, formatter);
        if (page.records === 0) break;
        expect(page.records).toBeLessThanOrEqual(limit);
        const last = rows.find((r) => r.seq === page.last!.seq)!;
        expect(page.last).toEqual({ seq: last.seq, hash: last.hash });
        parts.push(page.payload);
        lasts.push(page.last!.seq);
        after = page.last!.seq;
      }
      expect(Buffer.concat(parts).equals(expected)).toBe(true);
      expect(lasts.at(-1)).toBe(rows.at(-1)!.seq);
      // Whole pages until the last (a legacy record does not end a page early).
      expect(lasts.map(Number)).toEqual(
        Array.from({ length: Math.ceil(rows.length / limit) }, (_, i) =>
          Math.min((i + 1) * limit, rows.length),
        ).map((n) => Number(rows[n - 1].seq)),
      );
    }
    await repo.close();
  });
});
