import { DataSource } from 'typeorm';
import { AuditAction, AuditOutcome } from '../../src/modules/audit/audit-action';
import { chainHash, GENESIS_HASH } from '../../src/modules/audit/chain/audit-chain';
import { rowToChainRecord } from '../../src/modules/audit/audit-mapper';
import type { AuditEventRow } from '../../src/modules/audit/audit.repository';
import { AuditService } from '../../src/modules/audit/audit.service';
import { createTestApp, type TestApp } from '../support/test-app';

describe('audit trail: writing', () => {
  let t: TestApp;
  let audit: AuditService;
  let db: DataSource;
  const event = {
    action: AuditAction.AuthLogin,
    outcome: AuditOutcome.Success,
    actor: {
      userId: '6f1c0b7e-8a55-4c1e-9a52-3f1f0f6e2d10',
      role: 'doctor',
      ip: '203.0.113.7',
      userAgent: 'jest',
    },
    resource: { type: 'user', id: '6f1c0b7e-8a55-4c1e-9a52-3f1f0f6e2d10' },
    details: { method: 'password' },
  };

  beforeAll(async () => {
    t = await createTestApp();
    audit = t.app.get(AuditService);
    db = t.app.get(DataSource);
  });
  afterAll(() => t.close());

  const rows = () => db.query<AuditEventRow[]>('SELECT * FROM audit_events ORDER BY seq');

  it('commits and rolls back with the caller’s transaction', async () => {
    await expect(
      db.transaction(async (m) => {
        await audit.record(event, m);
        throw new Error('business change failed');
      }),
    ).rejects.toThrow('business change failed');
    expect(await rows()).toEqual([]);
    await db.transaction((m) => audit.record(event, m));
    expect(await rows()).toHaveLength(1);
  });

  it('keeps one gapless hash chain under concurrent writers', async () => {
    await Promise.all(
      Array.from({ length: 40 }, (_, i) => audit.record({ ...event, details: { i } })),
    );
    const all = await rows();
    expect(all.map((r) => Number(r.seq))).toEqual(
      Array.from({ length: all.length }, (_, i) => i + 1),
    );
    let prev = GENESIS_HASH;
    for (const r of all) {
      expect(r.prev_hash).toBe(prev);
      expect(r.hash).toBe(chainHash(prev, rowToChainRecord(r).body));
      prev = r.hash;
    }
  });

  it('refuses UPDATE, DELETE and TRUNCATE in the database itself', async () => {
    await expect(
      db.query(`UPDATE audit_events SET outcome = 'denied' WHERE seq = 1`),
    ).rejects.toThrow(/append-only/);
    await expect(db.query(`DELETE FROM audit_events WHERE seq = 1`)).rejects.toThrow(/append-only/);
    await expect(db.query(`TRUNCATE audit_events`)).rejects.toThrow(/append-only/);
    expect((await rows())[0].outcome).toBe('success');
  });
});
