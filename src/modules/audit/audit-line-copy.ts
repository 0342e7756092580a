// The NDJSON export's record lines, assembled from a binary COPY of (hash, prev_hash,
// canonical). The database sends the three stored texts as they are, length-prefixed, and
// the line is those bytes between fixed ones: `{"hash":"…","prevHash":"…","record":…}` and a
// newline, the text recordLine writes (canonical is the record's canonical JSON, stored when
// the record was appended). Asking PostgreSQL for the whole line instead (concatenation and
// to_json per row, CSV out) cost it about two and a half times as long as sending the columns.
//
// The binary COPY format (PostgreSQL docs, "COPY", Binary Format): an 11-byte signature, a
// 32-bit flags field and a 32-bit header extension length (then that many bytes); each tuple
// a 16-bit field count and, per field, a 32-bit length (-1 for NULL) and the bytes; a 16-bit
// -1 ends the data. The framing is read in place: a general binary COPY reader decodes each
// field into a value of its own, which is the per-record cost this path exists to avoid.

import { recordLineHead } from './audit-chain';

const SIGNATURE = Buffer.from([0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00]);
const HEADER_FIXED = SIGNATURE.length + 8;
const FIELDS = 3;
// A tuple's field count and its three lengths.
const TUPLE_FRAMING = 2 + FIELDS * 4;

// The fixed bytes around the three fields, for hashes that need no escaping (the hash
// columns as the chain writes them: hexadecimal), quotes included.
const OPEN = Buffer.from('{"hash":"');
const PREV = Buffer.from('","prevHash":"');
const RECORD = Buffer.from('","record":');
const CLOSE = Buffer.from('}\n');
const LINE_FIXED = OPEN.length + PREV.length + RECORD.length + CLOSE.length;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

export class LineCopyError extends Error {}

// Feed it the COPY's bytes in chunks cut anywhere; each push returns the lines of the tuples
// it completed (possibly none). finish() throws if the data did not end where COPY ends it.
//
// Allocation per chunk is one output buffer of the lines' exact size: a tuple cut between
// two chunks is completed from the head of the next one, not by joining the chunks. (Each
// export moves hundreds of megabytes through here, and dead buffers waiting for a
// collection are what grows the process.)
export class RecordLineAssembler {
  private rest: Buffer | null = null;
  private headerRead = false;
  private ended = false;

  push(chunk: Buffer): Buffer {
    let pos = 0;
    let cut: { buf: Buffer; scan: Scan } | null = null;
    if (this.rest !== null) {
      const rest = this.rest;
      for (let take = Math.min(chunk.length, 1024); ; take = Math.min(chunk.length, take * 4)) {
        const joined = Buffer.concat([rest, chunk.subarray(0, take)]);
        const scan = this.scan(joined, 0, 1);
        if (scan.end > 0) {
          cut = { buf: joined, scan };
          pos = scan.end - rest.length;
          this.rest = null;
          break;
        }
        if (take === chunk.length) {
          this.rest = joined;
          return EMPTY;
        }
      }
    }
    const scan = this.scan(chunk, pos, Infinity);
    if (scan.end < chunk.length) this.rest = chunk.subarray(scan.end);
    const sink = { out: Buffer.allocUnsafe((cut?.scan.size ?? 0) + scan.size), at: 0 };
    if (cut !== null) writeLines(cut.buf, cut.scan, sink);
    writeLines(chunk, scan, sink);
    return sink.out.subarray(0, sink.at);
  }

  finish(): void {
    if (!this.ended || this.rest !== null)
      throw new LineCopyError('the COPY data ended in the middle of a tuple');
  }

  // Up to `limit` whole items of buf from pos (the header, tuples, the end marker), checked:
  // where they start and end, and the bytes their lines take with plain hashes.
  private scan(buf: Buffer, pos: number, limit: number): Scan {
    let items = 0;
    let size = 0;
    if (!this.headerRead) {
      const end = headerEnd(buf, pos);
      if (end === null) return { start: pos, end: pos, size };
      this.headerRead = true;
      pos = end;
      items++;
    }
    const start = pos;
    const end = buf.length;
    while (items < limit && pos < end) {
      if (this.ended) throw new LineCopyError('bytes after the end of the COPY data');
      if (end - pos < 2) break;
      const count = buf.readInt16BE(pos);
      if (count === -1) {
        this.ended = true;
        pos += 2;
        items++;
        continue;
      }
      if (count !== FIELDS) throw new LineCopyError(`a tuple of ${count} fields, not ${FIELDS}`);
      let p = pos + 2;
      for (let f = 0; f < FIELDS; f++) {
        if (end - p < 4) return { start, end: pos, size };
        p += 4 + fieldLength(buf, p);
      }
      if (p > end) break;
      size += LINE_FIXED + (p - pos) - TUPLE_FRAMING;
      pos = p;
      items++;
    }
    return { start, end: pos, size };
  }
}

interface Scan {
  start: number;
  end: number;
  size: number;
}

interface Sink {
  out: Buffer;
  at: number;
}

// The lines of the items scan found in buf, written to sink.
function writeLines(buf: Buffer, scan: Scan, sink: Sink): void {
  let pos = scan.start;
  while (pos < scan.end) {
    if (buf.readInt16BE(pos) === -1) {
      pos += 2;
      continue;
    }
    const hashLength = buf.readInt32BE(pos + 2);
    const hashStart = pos + 6;
    const prevLength = buf.readInt32BE(hashStart + hashLength);
    const prevStart = hashStart + hashLength + 4;
    const recordLength = buf.readInt32BE(prevStart + prevLength);
    const recordStart = prevStart + prevLength + 4;
    pos = recordStart + recordLength;

    const out = sink.out;
    const lineStart = sink.at;
    let o = put(out, lineStart, OPEN);
    let plain = copyPlain(buf, hashStart, hashLength, out, o);
    o = put(out, o + hashLength, PREV);
    plain = copyPlain(buf, prevStart, prevLength, out, o) && plain;
    o = put(out, o + prevLength, RECORD);
    o += buf.copy(out, o, recordStart, pos);
    sink.at = put(out, o, CLOSE);
    if (!plain) {
      // Longer than the scan counted: the rest of the buffer moves up by the difference.
      const line = escapedLine(buf, hashStart, hashLength, prevStart, prevLength);
      const record = buf.subarray(recordStart, pos);
      const longer = Buffer.allocUnsafe(
        out.length + line.length + record.length + CLOSE.length - (sink.at - lineStart),
      );
      out.copy(longer, 0, 0, lineStart);
      let at = lineStart + line.copy(longer, lineStart);
      at += record.copy(longer, at);
      sink.out = longer;
      sink.at = put(longer, at, CLOSE);
    }
  }
}

const EMPTY = Buffer.alloc(0);

// The end of the header that starts at pos in buf, or null if buf does not hold all of it.
function headerEnd(buf: Buffer, pos: number): number | null {
  if (buf.length - pos < HEADER_FIXED) return null;
  if (!buf.subarray(pos, pos + SIGNATURE.length).equals(SIGNATURE))
    throw new LineCopyError('not a binary COPY (signature)');
  // Bit 16 of the flags: each tuple carries an OID, which this reader does not expect.
  if ((buf.readUInt32BE(pos + SIGNATURE.length) & 0x10000) !== 0)
    throw new LineCopyError('a binary COPY with OIDs');
  const end = pos + HEADER_FIXED + buf.readUInt32BE(pos + SIGNATURE.length + 4);
  return buf.length < end ? null : end;
}

function fieldLength(buf: Buffer, pos: number): number {
  const length = buf.readInt32BE(pos);
  if (length < 0) throw new LineCopyError('a NULL field in an exported record');
  return length;
}

// Copies length bytes of a hash from buf to out as they are; false if one of them must be
// escaped in a JSON string (a control character, a quote or a backslash).
function copyPlain(buf: Buffer, start: number, length: number, out: Buffer, o: number): boolean {
  let plain = true;
  for (let i = 0; i < length; i++) {
    const b = buf[start + i];
    if (b < 0x20 || b === QUOTE || b === BACKSLASH) plain = false;
    out[o + i] = b;
  }
  return plain;
}

function put(out: Buffer, o: number, bytes: Buffer): number {
  for (let i = 0; i < bytes.length; i++) out[o + i] = bytes[i];
  return o + bytes.length;
}

// A line's start up to its record for hashes that are not plain (a tampered column): each
// hash as JSON.stringify writes it, as to_json would, so the line still parses and
// verification names the record.
function escapedLine(
  buf: Buffer,
  hashStart: number,
  hashLength: number,
  prevStart: number,
  prevLength: number,
): Buffer {
  const text = (start: number, length: number): string =>
    buf.toString('utf8', start, start + length);
  return Buffer.from(recordLineHead(text(hashStart, hashLength), text(prevStart, prevLength)));
}
