import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { generateSecrets } from '../../src/config/secrets';
import { AuditTrailService } from '../../src/modules/audit/export/audit-trail.service';
import { AuditService } from '../../src/modules/audit/audit.service';
import { createTestApp, type TestApp } from '../support/test-app';
import { ctx, sampleEvent } from './audit-support';

// Two instances share one database (and the same secrets, as production requires) and
// write concurrently, some records inside business transactions that roll back.
describe('audit trail: two instances writing at once', () => {
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    const prefix = `hekim-test:${randomBytes(6).toString('hex')}:`;
    const env = { ...generateSecrets(), AUDIT_CHECKPOINT_EVERY_RECORDS: '7' };
    a = await createTestApp({ env });
    b = await createTestApp({ env, db: a.db, redisPrefix: prefix });
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  it('keeps one gapless chain with linked checkpoints under concurrent load', async () => {
    const writers = [a, b].map((t) => t.app.get(AuditService));
    const sources = [a, b].map((t) => t.app.get(DataSource));
    const jobs: Promise<unknown>[] = [];
    for (let i = 0; i < 150; i++) {
      const k = i % 2;
      if (i % 10 === 9) {
        // A business transaction that fails: its record must vanish with it.
        jobs.push(
          sources[k]
            .transaction(async (m) => {
              await writers[k].record(sampleEvent(i), m);
              throw new Error('business change failed');
            })
            .catch((e: unknown) => e),
        );
      } else {
        jobs.push(writers[k].record(sampleEvent(i)));
      }
    }
    await Promise.all(jobs);

    const seqs = await sources[0].query<{ seq: string }[]>(
      'SELECT seq FROM audit_events ORDER BY seq',
    );
    expect(seqs.map((r) => Number(r.seq))).toEqual(Array.from({ length: 135 }, (_, i) => i + 1));
    const cps = await sources[0].query<{ seq: string }[]>(
      'SELECT seq FROM audit_checkpoints ORDER BY seq',
    );
    // A checkpoint is signed right after each commit that wrote a due record (every 7th), at
    // the head as it is then: with two instances appending batches side by side the head may
    // be further on, so there are fewer checkpoints than due records, the last at the head.
    const signed = cps.map((c) => Number(c.seq));
    expect(signed.length).toBeGreaterThan(0);
    expect(signed).toEqual([...signed].sort((x, y) => x - y));
    expect(signed[signed.length - 1]).toBe(135);
    // Either instance verifies the whole chain and every signature.
    for (const t of [a, b]) {
      const result = await t.app.get(AuditTrailService).verify({}, ctx);
      expect(result.valid).toBe(true);
      expect(result.checked).toBeGreaterThanOrEqual(135);
    }
  });
});
