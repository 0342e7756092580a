import { Client } from 'pg';
import { recordLine, type AuditRecordBody } from '../../src/modules/audit/chain/audit-chain';
import {
  AuditTrailService,
  CHAIN_PAGE_SIZE,
} from '../../src/modules/audit/export/audit-trail.service';
import { AuditRepository } from '../../src/modules/audit/audit.repository';
import { createTestApp, type TestApp } from '../support/test-app';

// The NDJSON export's lines are written by the database (AuditRepository.findChainLinePage)
// and must be, byte for byte, the lines rendered from the rows (recordLine, the hashed text).
// Rows are inserted directly with values the application would never write, far above the
// app's own records.
const FIRST = 9_223_372_036_854_770_000n; // near the largest bigint
const COLUMNS = `seq, occurred_at, actor_user_id, actor_role, actor_ip, actor_user_agent, action,
  outcome, resource_type, resource_id, subject_id, request_id, details, prev_hash, hash`;
// Every character that JSON escapes, and some that it does not.
const SPECIALS = `\u0001\u0008\t\n\u000b\u000c\r\u001f "\\/'\u007f\u0080\u2028\u2029\ufeff\uffff😀é`;
// Code points per row when every code point is written out (the user agent holds 512).
const SPAN = 512;
const CODE_POINT_ROWS = Math.ceil(0x10ffff / SPAN);

// Occurred-at values around the millisecond truncation and the fast path's year bounds.
const TIMES = [
  '2026-11-21 09:00:00.999999+00',
  '2026-11-21 09:00:00.000001+00',
  '2026-11-21 09:00:00.0005+00',
  '2026-11-21 09:00:00.12+00',
  '2000-02-29 23:59:59.9995+00',
  '1000-01-01 00:00:00+00',
  '9998-12-31 23:59:59.999999+00',
];
// Outside the years the database renders: read and rendered from the row instead.
const GENERIC_TIMES = [
  '0999-12-31 23:59:59.999+00',
  '9999-01-01 00:00:00+00',
  '12345-06-07 08:09:10.111213+00',
  '0044-03-15 12:00:00+00 BC',
];

// As stored (jsonb text): JSON.parse and the canonical form decide the numbers' text.
const DETAILS = [
  '{}',
  '{"x": 1.0, "y": 1E2, "z": -0, "w": 100000000000000000000000, "v": 0.000001}',
  { z: 1, a: [{ y: null, b: 'x' }], B: true, é: 'e', '\uffff': 1, '😀': 2, '10': 3, '2': 4 },
  {
    s: SPECIALS,
    n: [0, -1, 1.5, 1e21, 1e-7, 2 ** 53 + 2, 0.1 + 0.2],
    deep: { a: { b: { c: [] } } },
  },
].map((d) => (typeof d === 'string' ? d : JSON.stringify(d)));

describe('audit trail: NDJSON lines written by the database', () => {
  let t: TestApp;
  let last: bigint;
  let codePointRows = 0;

  beforeAll(async () => {
    t = await createTestApp();
    const db = new Client({ connectionString: t.db.url });
    await db.connect();
    try {
      // 1. Every Unicode scalar value, SPAN per row, in every text column (cut to its length).
      // (The 2,048 surrogates fill four rows of their own, which are left out.)
      const { rowCount } = await db.query(
        `INSERT INTO audit_events (${COLUMNS})
         SELECT $1::bigint + row_number() OVER (ORDER BY k) - 1,
                clock_timestamp() + k * interval '1.001 millisecond',
                NULL, substr(s, 200, 32), right(s, 64), s, left(s, 64), 'success',
                substr(s, 300, 64), right(s, 128), NULL, left(s, 128), '{}', substr(s, 100, 64),
                substr(s, 400, 64)
           FROM (SELECT k, (SELECT string_agg(chr(c), '' ORDER BY c)
                              FROM generate_series(k * $2 + 1, least(k * $2 + $2, 1114111)) AS c
                             WHERE c NOT BETWEEN 55296 AND 57343) AS s
                   FROM generate_series(0, $3::int - 1) AS k) AS rows
          WHERE s IS NOT NULL`,
        [FIRST.toString(), SPAN, CODE_POINT_ROWS],
      );
      codePointRows = rowCount ?? 0;
      let seq = FIRST + BigInt(codePointRows);
      const insert = async (occurredAt: string, text: string | null, details: string) => {
        await db.query(
          `INSERT INTO audit_events (${COLUMNS})
           VALUES ($1, $2, $3::uuid, $4::text, $4::text, $4::text, coalesce($4::text, 'x'),
                   'denied', $4::text, $4::text, $3::uuid, $4::text, $5, $6::text, $6::text)`,
          [
            (seq++).toString(),
            occurredAt,
            text === null ? null : '0c6d2b0e-1f7a-4f55-b7d4-7d0b7a6f9e11',
            text,
            details,
            text === null ? 'f'.repeat(64) : SPECIALS,
          ],
        );
      };
      // 2. Every column holding the characters JSON escapes; every optional column null.
      for (const details of DETAILS) {
        await insert(TIMES[0], SPECIALS, details);
        await insert(TIMES[0], null, details);
      }
      // 3. Occurred-at values, in and out of the database's range.
      for (const time of [...TIMES, ...GENERIC_TIMES]) await insert(time, 'x', DETAILS[1]);
      last = seq - 1n;
    } finally {
      await db.end();
    }
  }, 120_000);
  afterAll(() => t.close());

  it('writes the same bytes as recordLine over the rows, across pages', async () => {
    const trail = t.app.get(AuditTrailService);
    const fast: string[] = [];
    for await (const page of trail.ndjsonLinePages(FIRST.toString(), last.toString()))
      fast.push(...page);
    const generic: string[] = [];
    for await (const page of trail.chainPages(FIRST.toString(), last.toString()))
      for (const r of page) generic.push(`${recordLine(r.body, r.prevHash, r.hash)}\n`);
    expect(generic).toHaveLength(Number(last - FIRST + 1n));
    expect(fast).toHaveLength(generic.length);
    const differing = fast.findIndex((line, i) => line !== generic[i]);
    expect(differing === -1 ? null : { fast: fast[differing], generic: generic[differing] }).toBe(
      null,
    );
    // The user agents, read back from the lines, hold every Unicode scalar value once: the
    // comparison covered every character's escape (and more than one page).
    const agents = fast
      .slice(0, codePointRows)
      .map((line) => (JSON.parse(line) as { record: AuditRecordBody }).record.actor.userAgent)
      .join('');
    let everyScalar = '';
    for (let c = 1; c <= 0x10ffff; c++)
      if (c < 0xd800 || c > 0xdfff) everyScalar += String.fromCodePoint(c);
    expect(agents).toBe(everyScalar);
    expect(codePointRows).toBeGreaterThan(CHAIN_PAGE_SIZE);
  });

  it('leaves to the rows only the records whose date the database does not render', async () => {
    const rows = await t.app
      .get(AuditRepository)
      .findChainLinePage((FIRST - 1n).toString(), last.toString(), 10_000);
    const generic = rows.filter((r) => r.tail === null).map((r) => r.seq);
    const firstGeneric = last - BigInt(GENERIC_TIMES.length) + 1n;
    expect(generic).toEqual(GENERIC_TIMES.map((_, i) => (firstGeneric + BigInt(i)).toString()));
  });
});
