import { canonicalAround, canonicalJson, recordLine, type AuditRecordBody } from './audit-chain';

// The general canonical form, written independently of audit-chain.ts: keys sorted by UTF-16
// code units with an explicit comparator, undefined members left out.
function reference(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(reference).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${reference(v)}`).join(',')}}`;
}

const full: AuditRecordBody = {
  seq: '42',
  occurredAt: '2026-11-21T09:00:00.123Z',
  actor: {
    userId: '6f1c0b7e-8a55-4c1e-9a52-3f1f0f6e2d10',
    role: 'doctor',
    ip: '203.0.113.7',
    userAgent: 'Mozilla/5.0 "quoted" \\ back\nslash — ünïcode \u2028',
  },
  action: 'auth.login',
  outcome: 'success',
  resource: { type: 'user', id: 'r-1' },
  subjectId: '0c6d2b0e-1f7a-4f55-b7d4-7d0b7a6f9e11',
  requestId: 'req-1',
  details: { z: 1, a: [{ y: null, b: 'x' }], B: true, é: 'e', skipped: undefined },
};

const empty: AuditRecordBody = {
  seq: '1',
  occurredAt: '2026-11-21T09:00:00.000Z',
  actor: { userId: null, role: null, ip: null, userAgent: null },
  action: 'audit.export',
  outcome: 'denied',
  resource: { type: null, id: null },
  subjectId: null,
  requestId: null,
  details: {},
};

describe('audit chain text', () => {
  it('canonicalJson sorts keys by code unit at every depth and drops undefined members', () => {
    expect(canonicalJson(full.details)).toBe('{"B":true,"a":[{"b":"x","y":null}],"z":1,"é":"e"}');
    expect(canonicalJson(full)).toBe(reference(full));
    expect(canonicalJson([1, 'a', null, { b: 2, a: 1 }])).toBe('[1,"a",null,{"a":1,"b":2}]');
  });

  it.each([
    ['every field set', full],
    ['every optional field null', empty],
  ])('recordLine is the canonical JSON of {hash, prevHash, record} (%s)', (_, body) => {
    const prev = 'a'.repeat(64);
    const hash = 'b'.repeat(64);
    expect(recordLine(body, prev, hash)).toBe(reference({ hash, prevHash: prev, record: body }));
  });

  it.each([
    ['every field set', full],
    ['every optional field null', empty],
  ])('canonicalAround leaves exactly the occurredAt and seq values out (%s)', (_, body) => {
    const { seq, occurredAt, ...unplaced } = body;
    const [before, between, after] = canonicalAround(unplaced);
    expect(before + occurredAt + between + seq + after).toBe(reference(body));
  });
});
