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

const SIGNATURE = Buffer.from([0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00]);
const HEADER_FIXED = SIGNATURE.length + 8;
const FIELDS = 3;

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
export class RecordLineAssembler {
  private rest: Buffer | null = null;
  private headerRead = false;
  private ended = false;

  push(chunk: Buffer): Buffer {
    const buf = this.rest === null ? chunk : Buffer.concat([this.rest, chunk]);
    this.rest = null;
    let pos = 0;
    if (!this.headerRead) {
      const end = headerEnd(buf);
      if (end === null) {
        this.rest = buf;
        return Buffer.alloc(0);
      }
      this.headerRead = true;
      pos = end;
    }
    const end = buf.length;
    let out: Buffer = Buffer.allocUnsafe(Math.ceil((end - pos) * 1.25) + 256);
    let o = 0;
    while (pos < end) {
      if (this.ended) throw new LineCopyError('bytes after the end of the COPY data');
      if (end - pos < 2) break;
      const count = buf.readInt16BE(pos);
      if (count === -1) {
        this.ended = true;
        pos += 2;
        continue;
      }
      if (count !== FIELDS) throw new LineCopyError(`a tuple of ${count} fields, not ${FIELDS}`);
      // The three fields' starts and lengths, read in place; break if the tuple goes on in
      // the next chunk.
      let p = pos + 2;
      if (end - p < 4) break;
      const hashLength = fieldLength(buf, p);
      const hashStart = p + 4;
      p = hashStart + hashLength;
      if (end - p < 4) break;
      const prevLength = fieldLength(buf, p);
      const prevStart = p + 4;
      p = prevStart + prevLength;
      if (end - p < 4) break;
      const recordLength = fieldLength(buf, p);
      const recordStart = p + 4;
      p = recordStart + recordLength;
      if (p > end) break;

      const size = LINE_FIXED + hashLength + prevLength + recordLength;
      if (o + size > out.length) out = grown(out, o, o + size);
      const lineStart = o;
      o = put(out, o, OPEN);
      let plain = copyPlain(buf, hashStart, hashLength, out, o);
      o = put(out, o + hashLength, PREV);
      plain = copyPlain(buf, prevStart, prevLength, out, o) && plain;
      o = put(out, o + prevLength, RECORD);
      o += buf.copy(out, o, recordStart, p);
      o = put(out, o, CLOSE);
      if (!plain) {
        const line = escapedLine(buf, hashStart, hashLength, prevStart, prevLength);
        const record = buf.subarray(recordStart, p);
        const needed = lineStart + line.length + record.length + CLOSE.length;
        if (needed > out.length) out = grown(out, lineStart, needed);
        o = lineStart + line.copy(out, lineStart);
        o += record.copy(out, o);
        o = put(out, o, CLOSE);
      }
      pos = p;
    }
    if (pos < end) this.rest = buf.subarray(pos);
    return out.subarray(0, o);
  }

  finish(): void {
    if (!this.ended || this.rest !== null)
      throw new LineCopyError('the COPY data ended in the middle of a tuple');
  }
}

// The end of the header in buf, or null if buf does not hold all of it yet.
function headerEnd(buf: Buffer): number | null {
  if (buf.length < HEADER_FIXED) return null;
  if (!buf.subarray(0, SIGNATURE.length).equals(SIGNATURE))
    throw new LineCopyError('not a binary COPY (signature)');
  // Bit 16 of the flags: each tuple carries an OID, which this reader does not expect.
  if ((buf.readUInt32BE(SIGNATURE.length) & 0x10000) !== 0)
    throw new LineCopyError('a binary COPY with OIDs');
  const end = HEADER_FIXED + buf.readUInt32BE(SIGNATURE.length + 4);
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
    JSON.stringify(buf.toString('utf8', start, start + length));
  return Buffer.from(
    `{"hash":${text(hashStart, hashLength)},"prevHash":${text(prevStart, prevLength)},"record":`,
  );
}

function grown(out: Buffer, used: number, needed: number): Buffer {
  const next = Buffer.allocUnsafe(Math.max(needed, out.length * 2));
  out.copy(next, 0, 0, used);
  return next;
}
