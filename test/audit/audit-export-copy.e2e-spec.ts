import { Client, type Pool } from 'pg';
import { insertGeneratedChain } from '../../bench/audit-fixtures';
import { AuditAction, AuditOutcome } from '../../src/modules/audit/audit-action';
import { recordLine } from '../../src/modules/audit/chain/audit-chain';
import {
  AuditTrailService,
  LINE_COPY_RECORDS,
} from '../../src/modules/audit/export/audit-trail.service';
import { AuditRepository } from '../../src/modules/audit/audit.repository';
import { AuditService } from '../../src/modules/audit/audit.service';
import { createTestApp, type TestApp } from '../support/test-app';

// Records written by Hekim keep the text that was hashed, and the NDJSON export sends the
// lines the database writes around it (COPY). Records without it (written before it was
// stored) are rendered from their fields. Either way the bytes must be recordLine's over
// the row.
const SPECIALS = `\u0001\u0008\t\n\u000b\u000c\r\u001f "\\/'\u007f\u0080\u2028\u2029\ufeff\uffff😀é`;
const COLUMNS = `seq, occurred_at, actor_user_id, actor_role, actor_ip, actor_user_agent, action,
  outcome, resource_type, resource_id, subject_id, request_id, details, prev_hash, hash`;

async function text(chunks: AsyncIterable<string | Buffer>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts).toString('utf8');
}

describe('audit trail: NDJSON lines sent from the stored canonical text', () => {
  let t: TestApp;
  let db: Client;
  let head: string;
  const without = { first: '', last: '' };

  beforeAll(async () => {
    t = await createTestApp({ env: { AUDIT_CHECKPOINT_EVERY_RECORDS: '1000000' } });
    db = new Client({ connectionString: t.db.url });
    await db.connect();
    const audit = t.app.get(AuditService);
    // Records the application writes, with every character JSON escapes and numbers whose
    // text JSON.parse and the canonical form decide.
    for (const details of [
      {},
      { s: SPECIALS, n: [0, -1, 1.5, 1e21, 1e-7, 2 ** 53 + 2, 0.1 + 0.2] },
      { z: 1, a: [{ y: null, b: 'x' }], B: true, é: 'e', '\uffff': 1, '😀': 2, '10': 3 },
    ]) {
      await audit.record({
        action: AuditAction.AccessDenied,
        outcome: AuditOutcome.Denied,
        actor: { userId: null, role: SPECIALS.slice(0, 32), ip: SPECIALS, userAgent: SPECIALS },
        resource: { type: SPECIALS, id: SPECIALS },
        requestId: SPECIALS,
        details,
      });
    }
    // More than one COPY's worth, then records without canonical text (as older code wrote
    // them), then a few more with it.
    await insertGeneratedChain(db, LINE_COPY_RECORDS + 700);
    const { rows } = await db.query<{ seq: string }>(
      `INSERT INTO audit_events (${COLUMNS})
       SELECT m.h + g, clock_timestamp(), NULL, 'doctor', NULL, $1, 'auth.login', 'success',
              NULL, NULL, NULL, NULL, '{"x": 1.0, "y": [1E2, -0]}', repeat('a', 64), repeat('b', 64)
         FROM generate_series(1, 3) AS g, (SELECT max(seq) AS h FROM audit_events) AS m
       RETURNING seq::text`,
      [SPECIALS],
    );
    without.first = rows[0].seq;
    without.last = rows[2].seq;
    await insertGeneratedChain(db, 25);
    head = (await db.query<{ seq: string }>('SELECT max(seq)::text AS seq FROM audit_events'))
      .rows[0].seq;
  }, 120_000);
  afterAll(async () => {
    await db.end();
    await t.close();
  });

  it('are recordLine over the rows, byte for byte, across COPYs and around older records', async () => {
    const trail = t.app.get(AuditTrailService);
    expect(await t.app.get(AuditRepository).findWithoutCanonical('1', head)).toEqual(without);
    const sent = await text(trail.ndjsonRecords('1', head));
    let rendered = '';
    for await (const page of trail.chainPages('1', head))
      for (const r of page) rendered += `${recordLine(r.body, r.prevHash, r.hash)}\n`;
    expect(rendered.split('\n')).toHaveLength(Number(head) + 1);
    const sentLines = sent.split('\n');
    const renderedLines = rendered.split('\n');
    const differing = sentLines.findIndex((line, i) => line !== renderedLines[i]);
    expect(
      differing === -1 ? null : { sent: sentLines[differing], rendered: renderedLines[differing] },
    ).toBe(null);
    expect(sent).toBe(rendered);
  });

  it('sends the stored text itself, not a rendering of the fields', async () => {
    // A record whose stored text says something else is exported as stored (and so fails
    // verification offline; online verify names it: audit-database.e2e-spec.ts).
    await db.query('ALTER TABLE audit_events DISABLE TRIGGER USER');
    try {
      await db.query(
        `UPDATE audit_events SET canonical = replace(canonical, '"n":5}', '"n":-5}') WHERE seq = 5`,
      );
    } finally {
      await db.query('ALTER TABLE audit_events ENABLE TRIGGER USER');
    }
    const line = (await text(t.app.get(AuditTrailService).ndjsonRecords('5', '5'))).trimEnd();
    expect(JSON.parse(line)).toMatchObject({ record: { seq: '5', details: { n: -5 } } });
  });

  it('sends a tampered hash column escaped, so the line still parses and names it', async () => {
    const forged = `f"0\\0\u0001${SPECIALS.slice(0, 19)}`;
    await db.query('ALTER TABLE audit_events DISABLE TRIGGER USER');
    try {
      await db.query('UPDATE audit_events SET hash = $1, prev_hash = $2 WHERE seq = 6', [
        forged,
        SPECIALS.slice(0, 64),
      ]);
    } finally {
      await db.query('ALTER TABLE audit_events ENABLE TRIGGER USER');
    }
    const stored = await db.query<{ hash: string; prev_hash: string }>(
      'SELECT hash, prev_hash FROM audit_events WHERE seq = 6',
    );
    const line = (await text(t.app.get(AuditTrailService).ndjsonRecords('6', '6'))).trimEnd();
    const parsed = JSON.parse(line) as { hash: string; prevHash: string; record: unknown };
    expect(parsed.hash).toBe(stored.rows[0].hash);
    expect(parsed.hash.startsWith(forged)).toBe(true);
    expect(parsed.prevHash).toBe(stored.rows[0].prev_hash);
    expect(parsed.record).toMatchObject({ seq: '6' });
  });

  it('closes the COPYs of a reader that stops, and the pool goes on serving', async () => {
    const lines = t.app.get(AuditTrailService).ndjsonRecords('1', head);
    const first = await lines.next();
    expect(first.done).toBe(false);
    await lines.return(undefined);
    // Both COPYs (the one read and the one started ahead) end; nothing waits for a reader.
    const deadline = Date.now() + 10_000;
    let copying = -1;
    while (Date.now() < deadline) {
      const { rows } = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND query LIKE 'COPY (SELECT %' AND state <> 'idle'`,
      );
      copying = rows[0].n;
      if (copying === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(copying).toBe(0);
    const again = await text(t.app.get(AuditTrailService).ndjsonRecords('1', '3'));
    expect(again.split('\n')).toHaveLength(4);
  });

  it('outlives its idle export connections being closed by the server', async () => {
    // The COPYs have a pool of their own (the main pool's connections are pipelined); an idle
    // connection the server ends must be dropped by it, not end the process.
    const exported = async () =>
      (await text(t.app.get(AuditTrailService).ndjsonRecords('1', '3'))).split('\n');
    expect(await exported()).toHaveLength(4);
    const copies = t.app.get<AuditRepository, { copies: Pool }>(AuditRepository).copies;
    expect(copies.idleCount).toBeGreaterThan(0);
    await db.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE datname = current_database() AND application_name = 'hekim-export'`,
    );
    const deadline = Date.now() + 10_000;
    while (copies.idleCount > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(copies.idleCount).toBe(0);
    expect(await exported()).toHaveLength(4);
  });
});
