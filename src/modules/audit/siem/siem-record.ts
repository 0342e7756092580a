import { canonicalJson } from '../chain/audit-chain';
import { rowToChainRecord } from '../audit-mapper';
import type { AuditEventRow } from '../audit.repository';
import { formatSyslog, SyslogFacility, SyslogSeverity } from './syslog-format';

// The structured-data element that carries a record's place in the chain. Hekim has no
// private enterprise number of its own: 32473 is the one RFC 5612 reserves for examples and
// documentation, so receivers match the whole SD-ID string (docs/siem.md).
export const SIEM_SD_ID = 'hekim@32473';

// One audit record as an RFC 5424 message (docs/siem.md#format):
//   <PRI>1 <occurredAt> <hostname> hekim - <action> [hekim@32473 seq="…" hash="…" prevHash="…"] BOM<canonical>
// MSG is the exact text that was hashed, so a receiver checks
// hash = hex(SHA-256(prevHash || "\n" || MSG)) and prevHash = the hash of seq - 1 with nothing
// but what it received. The record holds what the audit trail holds (ids, roles, addresses,
// codes) and never a secret: the trail excludes those when it is written (docs/audit.md).
// The same record always gives the same message from the same host, so a record sent twice
// (docs/siem.md#at-least-once) arrives as two identical lines.
export function auditSyslogMessage(row: AuditEventRow, hostname: string): string {
  return formatSyslog({
    facility: SyslogFacility.LogAudit,
    severity: row.outcome === 'success' ? SyslogSeverity.Notice : SyslogSeverity.Warning,
    timestamp: row.occurred_at.toISOString(),
    hostname,
    appName: 'hekim',
    procId: null,
    msgId: row.action,
    structuredData: [
      {
        id: SIEM_SD_ID,
        params: [
          ['seq', row.seq],
          ['hash', row.hash],
          ['prevHash', row.prev_hash],
        ],
      },
    ],
    // Records written before the canonical text was stored are rendered from their fields,
    // as the export renders them (docs/audit.md).
    message: row.canonical ?? canonicalJson(rowToChainRecord(row).body),
  });
}
