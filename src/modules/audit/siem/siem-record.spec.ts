import { createHash } from 'node:crypto';
import { canonicalJson, chainHash, GENESIS_HASH } from '../chain/audit-chain';
import { rowToChainRecord } from '../audit-mapper';
import type { AuditEventRow } from '../audit.repository';
import { AuditSyslogFormatter, auditSyslogMessage, SIEM_SD_ID, siemRecordOf } from './siem-record';
import { formatSyslog, octetCountingFrame, SyslogFacility, SyslogSeverity } from './syslog-format';

function row(overrides: Partial<AuditEventRow> = {}): AuditEventRow {
  const base: AuditEventRow = {
    seq: '7',
    occurred_at: new Date('2026-12-07T09:14:03.512Z'),
    actor_user_id: '6f1c0b7e-8a55-4c1e-9a52-3f1f0f6e2d10',
    actor_role: 'doctor',
    actor_ip: '203.0.113.7',
    actor_user_agent: 'Agent "quoted" ] \\ ş',
    action: 'user.read',
    outcome: 'success',
    resource_type: 'user',
    resource_id: 'u-1',
    subject_id: '0e8f5c1a-2b3c-4d5e-8f70-1a2b3c4d5e6f',
    request_id: 'req-1',
    details: { basis: 'care_relationship', b: 1 },
    prev_hash: GENESIS_HASH,
    hash: '',
    canonical: null,
    ...overrides,
  };
  const body = rowToChainRecord(base).body;
  return { ...base, hash: chainHash(base.prev_hash, body), ...overrides };
}

const SHAPE =
  /^<(\d+)>1 (\S+) (\S+) hekim - (\S+) \[hekim@32473 seq="(\d+)" hash="([0-9a-f]{64})" prevHash="([0-9a-f]{64})"\] \uFEFF(.*)$/;

describe('auditSyslogMessage', () => {
  it('carries the chain position in structured data and the hashed text as MSG', () => {
    const r = row({ canonical: null });
    const m = SHAPE.exec(auditSyslogMessage(r, 'hekim-0'));
    expect(m).not.toBeNull();
    const [, pri, timestamp, host, msgId, seq, hash, prevHash, msg] = m!;
    expect({ pri, timestamp, host, msgId, seq, hash, prevHash }).toEqual({
      pri: String(13 * 8 + 5),
      timestamp: '2026-12-07T09:14:03.512Z',
      host: 'hekim-0',
      msgId: 'user.read',
      seq: '7',
      hash: r.hash,
      prevHash: GENESIS_HASH,
    });
    // A record without stored canonical text is rendered from its fields, as it was hashed.
    expect(msg).toBe(canonicalJson(rowToChainRecord(r).body));
    expect(createHash('sha256').update(`${prevHash}\n${msg}`, 'utf8').digest('hex')).toBe(hash);
  });

  it('sends the stored canonical text as it is, and warns for refusals and failures', () => {
    const stored = canonicalJson(rowToChainRecord(row()).body);
    for (const [outcome, severity] of [
      ['denied', 4],
      ['failure', 4],
      ['success', 5],
    ] as const) {
      const line = auditSyslogMessage(row({ outcome, canonical: stored }), 'h');
      expect(line.startsWith(`<${13 * 8 + severity}>1 `)).toBe(true);
      expect(line.endsWith(`\uFEFF${stored}`)).toBe(true);
    }
  });
});

describe('AuditSyslogFormatter', () => {
  it('writes what formatSyslog and octetCountingFrame write, for every record of a batch', () => {
    const records = [
      siemRecordOf(row({ canonical: null })),
      siemRecordOf(
        row({ seq: '8', outcome: 'denied', action: 'user read ş', canonical: '{"a":"ü"}' }),
      ),
      siemRecordOf(row({ seq: '9', outcome: 'failure', hash: 'x"]\\', canonical: '{}' })),
    ];
    const host = 'pod ş-1';
    const expected = records.map((r) =>
      octetCountingFrame(
        formatSyslog({
          facility: SyslogFacility.LogAudit,
          severity: r.outcome === 'success' ? SyslogSeverity.Notice : SyslogSeverity.Warning,
          timestamp: r.occurredAt,
          hostname: host,
          appName: 'hekim',
          procId: null,
          msgId: r.action,
          structuredData: [
            {
              id: SIEM_SD_ID,
              params: [
                ['seq', r.seq],
                ['hash', r.hash],
                ['prevHash', r.prevHash],
              ],
            },
          ],
          message: r.canonical,
        }),
      ),
    );
    expect(new AuditSyslogFormatter(host).frames(records)).toEqual(Buffer.concat(expected));
  });
});
