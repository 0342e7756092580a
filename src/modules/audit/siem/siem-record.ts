import { canonicalJson } from '../chain/audit-chain';
import { rowToChainRecord } from '../audit-mapper';
import type { AuditEventRow } from '../audit.repository';
import { escapeParamValue, headerField, SyslogFacility, SyslogSeverity } from './syslog-format';

// The structured-data element that carries a record's place in the chain. Hekim has no
// private enterprise number of its own: 32473 is the one RFC 5612 reserves for examples and
// documentation, so receivers match the whole SD-ID string (docs/siem.md).
export const SIEM_SD_ID = 'hekim@32473';

// What the forwarder sends of an audit record (SiemRepository.page reads just this).
export interface SiemRecord {
  seq: string;
  hash: string;
  prevHash: string;
  action: string;
  outcome: string;
  // occurred_at as RFC 3339 in UTC with milliseconds, as Date#toISOString writes it.
  occurredAt: string;
  // The exact text the record's hash covers.
  canonical: string;
}

// A row of audit_events as the forwarder sends it. Records written before the canonical text
// was stored are rendered from their fields, as the export renders them (docs/audit.md).
export function siemRecordOf(row: AuditEventRow): SiemRecord {
  return {
    seq: row.seq,
    hash: row.hash,
    prevHash: row.prev_hash,
    action: row.action,
    outcome: row.outcome,
    occurredAt: row.occurred_at.toISOString(),
    canonical: row.canonical ?? canonicalJson(rowToChainRecord(row).body),
  };
}

// The fixed parts of a message, in order (AuditSyslogFormatter#message; the frames written
// from a COPY's bytes use the same, siem-frame-copy.ts).
export const SIEM_MESSAGE_PARTS = {
  priSuccess: `<${SyslogFacility.LogAudit * 8 + SyslogSeverity.Notice}>1 `,
  priOther: `<${SyslogFacility.LogAudit * 8 + SyslogSeverity.Warning}>1 `,
  seq: ` [${SIEM_SD_ID} seq="`,
  hash: '" hash="',
  prevHash: '" prevHash="',
  // Then the byte order mark before MSG.
  endBom: '"] \uFEFF',
} as const;
const P = SIEM_MESSAGE_PARTS;

// Audit records as RFC 5424 messages (docs/siem.md#format):
//   <PRI>1 <occurredAt> <hostname> hekim - <action> [hekim@32473 seq="…" hash="…" prevHash="…"] BOM<canonical>
// MSG is the exact text that was hashed, so a receiver checks
// hash = hex(SHA-256(prevHash || "\n" || MSG)) and prevHash = the hash of seq - 1 with nothing
// but what it received. The record holds what the audit trail holds (ids, roles, addresses,
// codes) and never a secret: the trail excludes those when it is written (docs/audit.md).
// The same record always gives the same message from the same host, so a record sent twice
// (docs/siem.md#at-least-once) arrives as two identical lines.
//
// This is formatSyslog (syslog-format.ts) with what is the same for every record worked out
// once: the forwarder formats every record it sends, and the general formatter (checking the
// SD-ID and names, cleaning the host name, then framing each message in buffers of its own)
// cost more than reading the records. siem-record.spec.ts holds the two to the same output.
export class AuditSyslogFormatter {
  // Between TIMESTAMP and MSGID: ` HOSTNAME APP-NAME PROCID `.
  readonly prefixText: string;
  // MSGID: the action as a header field (PRINTUSASCII, at most 32), worked out once per action.
  private readonly msgIds = new Map<string, string>();

  constructor(hostname: string) {
    this.prefixText = ` ${headerField(hostname, 255)} hekim - `;
  }

  msgId(action: string): string {
    let msgId = this.msgIds.get(action);
    if (msgId === undefined) {
      msgId = headerField(action, 32);
      this.msgIds.set(action, msgId);
    }
    return msgId;
  }

  message(record: SiemRecord): string {
    return (
      (record.outcome === 'success' ? P.priSuccess : P.priOther) +
      record.occurredAt +
      this.prefixText +
      this.msgId(record.action) +
      P.seq +
      escapeParamValue(record.seq) +
      P.hash +
      escapeParamValue(record.hash) +
      P.prevHash +
      escapeParamValue(record.prevHash) +
      P.endBom +
      record.canonical
    );
  }

  // One record's frame as text (MSG-LEN SP SYSLOG-MSG, MSG-LEN in octets).
  frameText(record: SiemRecord): string {
    const message = this.message(record);
    return `${Buffer.byteLength(message, 'utf8')} ${message}`;
  }

  // The records as one payload of RFC 5425 frames, written straight into one buffer.
  frames(records: readonly SiemRecord[]): Buffer {
    const messages = records.map((r) => this.message(r));
    const lengths = messages.map((m) => Buffer.byteLength(m, 'utf8'));
    let total = 0;
    for (const length of lengths) total += String(length).length + 1 + length;
    const payload = Buffer.allocUnsafe(total);
    let at = 0;
    for (let i = 0; i < messages.length; i++) {
      at += payload.write(`${lengths[i]} `, at, 'latin1');
      at += payload.write(messages[i], at, 'utf8');
    }
    return payload;
  }
}

// One audit record as an RFC 5424 message, as sent from `hostname`.
export function auditSyslogMessage(row: AuditEventRow, hostname: string): string {
  return new AuditSyslogFormatter(hostname).message(siemRecordOf(row));
}
