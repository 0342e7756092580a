// A page of the SIEM stream read as RFC 5425 frames straight from the bytes PostgreSQL sends.
//
// The forwarder used to read a page with a SELECT: node-postgres decoded every column of every
// row into a JavaScript string (the canonical text, about 450 bytes a record, included) and
// made an object a row, and the formatter then encoded those strings back into bytes. That
// round trip cost the Node thread more per record than the TLS encryption and the collector's
// own work together (docs/siem.md#throughput). Here the columns come as a binary COPY
// (PostgreSQL docs, "COPY", Binary Format: an 11-byte signature, a 32-bit flags field and a
// 32-bit header extension length, then that many bytes; each tuple a 16-bit field count and,
// per field, a 32-bit length, -1 for NULL, and the bytes; a 16-bit -1 ends the data; the
// server sends one CopyData message per row, the header in the first), and each frame is
// written from the message's bytes between fixed ones: only the action becomes a string (to
// look its MSGID up). A record whose fields need escaping is written by the string formatter,
// so the output is always AuditSyslogFormatter#frames's (siem-frame-copy.spec.ts holds the two
// to the same bytes).

import { binaryCopyHeaderEnd } from '../../../infra/database/binary-copy';
import type { Connection, Submittable } from 'pg';
import { type AuditSyslogFormatter, SIEM_MESSAGE_PARTS, type SiemRecord } from './siem-record';

// What the forwarder sends of a page: how many records, the last one's place in the chain
// (for the cursor), and their frames.
export interface FramedPage {
  records: number;
  last: Pick<SiemRecord, 'seq' | 'hash'> | undefined;
  payload: Buffer;
}

// The columns, in this order: seq (text), hash, prev_hash, action, outcome, the time as RFC
// 3339 text, canonical. See frameCopySql.
const FIELDS = 7;
const SEQ = 0;
const HASH = 1;
const PREV_HASH = 2;
const ACTION = 3;
const OUTCOME = 4;
const OCCURRED_AT = 5;
const CANONICAL = 6;

const SUCCESS = Buffer.from('success');

// 1 for the bytes a PARAM-VALUE holds escaped: '"', '\' and ']' (RFC 5424 §6.3.3).
const ESCAPED = new Uint8Array(256);
ESCAPED[0x22] = 1;
ESCAPED[0x5c] = 1;
ESCAPED[0x5d] = 1;

export class FrameCopyError extends Error {}

// The COPY of the records after `afterSeq`, at most `limit`, in seq order. COPY takes no
// parameters: the bounds are checked digits, written in. (The text of seq is named apart:
// ORDER BY seq would sort by that text. The query keeps the one shape an index scan in seq
// order always answers: a bound on seq in it made the planner, on statistics that had not
// caught up with a burst of records, read and sort every record after the cursor.)
export function frameCopySql(afterSeq: string, limit: number): string {
  if (!/^\d{1,19}$/.test(afterSeq)) throw new FrameCopyError(`not a seq: ${afterSeq}`);
  if (!Number.isInteger(limit) || limit < 1) throw new FrameCopyError(`not a limit: ${limit}`);
  return `COPY (
    SELECT seq::text AS seq_text, hash, prev_hash, action, outcome,
           to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), canonical
      FROM audit_events WHERE seq > ${afterSeq} ORDER BY seq LIMIT ${limit}) TO STDOUT (FORMAT binary)`;
}

// Writes frames into one growing buffer (`page()`).
export class FrameWriter {
  private out: Buffer;
  private at = 0;
  private records = 0;
  private last: Pick<SiemRecord, 'seq' | 'hash'> | undefined;
  private headerRead = false;
  private ended = false;
  // A record without its canonical text was met: it and those after it are not written.
  private cut = false;
  // Each field's start and end in the tuple being written.
  private readonly bounds = new Int32Array(FIELDS * 2);
  private readonly prefix: Buffer;
  // MSGID bytes by action.
  private readonly msgIds = new Map<string, Buffer>();

  constructor(
    private readonly formatter: AuditSyslogFormatter,
    expectedBytes = 64 * 1024,
  ) {
    this.out = Buffer.allocUnsafe(expectedBytes);
    this.prefix = Buffer.from(formatter.prefixText, 'utf8');
  }

  // One CopyData message's bytes, [start, end) of buf.
  copyData(buf: Buffer, start = 0, end = buf.length): void {
    let pos = start;
    if (!this.headerRead) {
      pos = binaryCopyHeaderEnd(buf, pos, end, (why) => new FrameCopyError(why));
      this.headerRead = true;
    }
    while (pos < end) {
      if (this.ended) throw new FrameCopyError('bytes after the end of the COPY data');
      if (end - pos < 2) throw splitTuple();
      const count = buf.readInt16BE(pos);
      pos += 2;
      if (count === -1) {
        this.ended = true;
        continue;
      }
      if (count !== FIELDS) throw new FrameCopyError(`a tuple of ${count} fields, not ${FIELDS}`);
      const bounds = this.bounds;
      let nulls = 0;
      for (let f = 0; f < FIELDS; f++) {
        if (end - pos < 4) throw splitTuple();
        const length = buf.readInt32BE(pos);
        pos += 4;
        bounds[2 * f] = pos;
        if (length < 0) nulls |= 1 << f;
        else pos += length;
        bounds[2 * f + 1] = pos;
      }
      if (pos > end) throw splitTuple();
      // Only canonical may be NULL (a record written before it was stored).
      if (nulls === 1 << CANONICAL) this.cut = true;
      else if (nulls !== 0) throw new FrameCopyError('a NULL field in a forwarded record');
      if (!this.cut) this.frame(buf);
    }
  }

  // The frames written, of the records up to the first without its canonical text (the caller
  // renders the rest); throws unless the COPY data ended as it must.
  page(): FramedPage {
    if (!this.ended) throw new FrameCopyError('the COPY ended before its end marker');
    return { records: this.records, last: this.last, payload: this.out.subarray(0, this.at) };
  }

  // MSG-LEN SP <PRI>1 TIMESTAMP prefix MSGID [hekim@32473 seq="…" hash="…" prevHash="…"] BOM
  // canonical, as AuditSyslogFormatter#message writes it.
  private frame(buf: Buffer): void {
    const b = this.bounds;
    this.records++;
    const seqStart = b[2 * SEQ];
    const seqEnd = b[2 * SEQ + 1];
    const hashStart = b[2 * HASH];
    const hashEnd = b[2 * HASH + 1];
    this.last = {
      seq: buf.toString('latin1', seqStart, seqEnd),
      hash: buf.toString('utf8', hashStart, hashEnd),
    };
    if (
      needsEscape(buf, hashStart, hashEnd) ||
      needsEscape(buf, b[2 * PREV_HASH], b[2 * PREV_HASH + 1])
    ) {
      // Not the chain's hexadecimal (a tampered column): the string formatter escapes it.
      this.append(Buffer.from(this.formatter.frameText(this.record(buf)), 'utf8'));
      return;
    }
    const action = buf.toString('utf8', b[2 * ACTION], b[2 * ACTION + 1]);
    let msgId = this.msgIds.get(action);
    if (msgId === undefined) {
      msgId = Buffer.from(this.formatter.msgId(action), 'utf8');
      this.msgIds.set(action, msgId);
    }
    const success = equals(buf, b[2 * OUTCOME], b[2 * OUTCOME + 1], SUCCESS);
    const pri = success ? PRI_SUCCESS : PRI_OTHER;
    const length =
      pri.length +
      (b[2 * OCCURRED_AT + 1] - b[2 * OCCURRED_AT]) +
      this.prefix.length +
      msgId.length +
      SD_SEQ.length +
      (seqEnd - seqStart) +
      SD_HASH.length +
      (hashEnd - hashStart) +
      SD_PREV_HASH.length +
      (b[2 * PREV_HASH + 1] - b[2 * PREV_HASH]) +
      SD_END_BOM.length +
      (b[2 * CANONICAL + 1] - b[2 * CANONICAL]);
    this.reserve(length + 12);
    const out = this.out;
    let o = this.at + out.write(`${length} `, this.at, 'latin1');
    o = put(out, o, pri, 0, pri.length);
    o = put(out, o, buf, b[2 * OCCURRED_AT], b[2 * OCCURRED_AT + 1]);
    o = put(out, o, this.prefix, 0, this.prefix.length);
    o = put(out, o, msgId, 0, msgId.length);
    o = put(out, o, SD_SEQ, 0, SD_SEQ.length);
    o = put(out, o, buf, seqStart, seqEnd);
    o = put(out, o, SD_HASH, 0, SD_HASH.length);
    o = put(out, o, buf, hashStart, hashEnd);
    o = put(out, o, SD_PREV_HASH, 0, SD_PREV_HASH.length);
    o = put(out, o, buf, b[2 * PREV_HASH], b[2 * PREV_HASH + 1]);
    o = put(out, o, SD_END_BOM, 0, SD_END_BOM.length);
    o += buf.copy(out, o, b[2 * CANONICAL], b[2 * CANONICAL + 1]);
    this.at = o;
  }

  // The tuple as a record, for the string formatter.
  private record(buf: Buffer): SiemRecord {
    const text = (f: number): string =>
      buf.toString('utf8', this.bounds[2 * f], this.bounds[2 * f + 1]);
    return {
      seq: text(SEQ),
      hash: text(HASH),
      prevHash: text(PREV_HASH),
      action: text(ACTION),
      outcome: text(OUTCOME),
      occurredAt: text(OCCURRED_AT),
      canonical: text(CANONICAL),
    };
  }

  private append(bytes: Buffer): void {
    this.reserve(bytes.length);
    this.at += bytes.copy(this.out, this.at);
  }

  private reserve(bytes: number): void {
    if (this.at + bytes <= this.out.length) return;
    const larger = Buffer.allocUnsafe(Math.max(this.out.length * 2, this.at + bytes));
    this.out.copy(larger, 0, 0, this.at);
    this.out = larger;
  }
}

// The frames' fixed parts, as AuditSyslogFormatter#message writes them.
const PRI_SUCCESS = Buffer.from(SIEM_MESSAGE_PARTS.priSuccess, 'utf8');
const PRI_OTHER = Buffer.from(SIEM_MESSAGE_PARTS.priOther, 'utf8');
const SD_SEQ = Buffer.from(SIEM_MESSAGE_PARTS.seq, 'utf8');
const SD_HASH = Buffer.from(SIEM_MESSAGE_PARTS.hash, 'utf8');
const SD_PREV_HASH = Buffer.from(SIEM_MESSAGE_PARTS.prevHash, 'utf8');
const SD_END_BOM = Buffer.from(SIEM_MESSAGE_PARTS.endBom, 'utf8');

function needsEscape(buf: Buffer, start: number, end: number): boolean {
  let escaped = 0;
  for (let i = start; i < end; i++) escaped |= ESCAPED[buf[i]];
  return escaped !== 0;
}

function equals(buf: Buffer, start: number, end: number, bytes: Buffer): boolean {
  if (end - start !== bytes.length) return false;
  for (let i = 0; i < bytes.length; i++) if (buf[start + i] !== bytes[i]) return false;
  return true;
}

// Short pieces are copied byte by byte: Buffer#copy costs more per call than a few dozen bytes.
function put(out: Buffer, o: number, from: Buffer, start: number, end: number): number {
  for (let i = start; i < end; i++) out[o++] = from[i];
  return o;
}

function splitTuple(): FrameCopyError {
  return new FrameCopyError('a tuple split across CopyData messages');
}

// frameCopySql run with client.query() on a connection that is not pipelined (node-postgres
// refuses custom queries there); `result` resolves with the page once the server is ready for
// the next query, or rejects with the error that ended it (the server's, the connection's, or
// bytes that are not the expected COPY).
export class FrameCopy implements Submittable {
  readonly result: Promise<FramedPage>;
  private readonly writer: FrameWriter;
  private failure: Error | null = null;
  private settled = false;
  private resolve!: (page: FramedPage) => void;
  private reject!: (err: Error) => void;

  constructor(
    private readonly text: string,
    formatter: AuditSyslogFormatter,
    expectedBytes?: number,
  ) {
    this.writer = new FrameWriter(formatter, expectedBytes);
    this.result = new Promise<FramedPage>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  submit(connection: Connection): void {
    connection.query(this.text);
  }

  // The message's bytes are the driver's buffer, valid only during this call: they are
  // written out at once.
  handleCopyData(message: { chunk: Buffer }): void {
    if (this.failure) return;
    try {
      this.writer.copyData(message.chunk);
    } catch (err) {
      this.failure = err as Error;
    }
  }

  // Never for a COPY TO; answered as node-postgres answers a query that has no data to send.
  handleCopyInResponse(connection: Connection): void {
    (connection as unknown as { sendCopyFail(message: string): void }).sendCopyFail(
      'not a COPY FROM',
    );
  }

  handleRowDescription(): void {
    this.failure ??= new FrameCopyError('rows where a COPY was expected');
  }

  handleDataRow(): void {}

  handleCommandComplete(): void {}

  handleEmptyQuery(): void {}

  handlePortalSuspended(): void {}

  handleError(err: Error): void {
    this.settle(err);
  }

  handleReadyForQuery(): void {
    if (this.failure) return this.settle(this.failure);
    try {
      this.settle(null, this.writer.page());
    } catch (err) {
      this.settle(err as Error);
    }
  }

  private settle(err: Error | null, page?: FramedPage): void {
    if (this.settled) return;
    this.settled = true;
    if (err) this.reject(err);
    else this.resolve(page!);
  }
}
