// The NDJSON export's record lines, assembled from a binary COPY of (hash, prev_hash,
// canonical). The database sends the three stored texts as they are, length-prefixed, and
// the line is those bytes between fixed ones: `{"hash":"…","prevHash":"…","record":…}` and a
// newline, the text recordLine writes (canonical is the record's canonical JSON, stored when
// the record was appended). Asking PostgreSQL for the whole line instead (concatenation and
// to_json per row, CSV out) cost it about two and a half times as long as sending the columns.
//
// The lines are written straight from the bytes the server sends, read in place: the
// protocol's messages (PostgreSQL docs, "Message Formats": a type byte, a 32-bit length that
// counts itself, the body) around the binary COPY format ("COPY", Binary Format: an 11-byte
// signature, a 32-bit flags field and a 32-bit header extension length, then that many bytes;
// each tuple a 16-bit field count and, per field, a 32-bit length, -1 for NULL, and the bytes;
// a 16-bit -1 ends the data). In COPY OUT the server sends one CopyData message per row, the
// header in the first. A general COPY reader copies each message's body out of the socket's
// chunk and joins them again, and a general binary COPY reader decodes each field into a value
// of its own: per-record work and a copy of every byte, which this path exists to avoid.

import { Readable } from 'node:stream';
import { binaryCopyHeaderEnd } from '../../../infra/database/binary-copy';
import type { Connection, Submittable } from 'pg';
import { recordLineHead } from '../chain/audit-chain';

const FIELDS = 3;
// A tuple's field count and its three lengths.
const TUPLE_FRAMING = 2 + FIELDS * 4;
// A message's type byte and length.
const MESSAGE_HEAD = 5;

// The backend's messages during COPY OUT. CopyOutResponse opens it, CopyData carries it,
// CopyDone ends it; notices, parameter changes and notifications may come at any time.
const COPY_OUT_RESPONSE = 0x48; // 'H'
const COPY_DATA = 0x64; // 'd'
const COPY_DONE = 0x63; // 'c'
const NOTICE = 0x4e; // 'N'
const PARAMETER_STATUS = 0x53; // 'S'
const NOTIFICATION = 0x41; // 'A'
const ERROR_RESPONSE = 0x45; // 'E'

// The fixed bytes around the three fields, for hashes that need no escaping (the hash
// columns as the chain writes them: hexadecimal), quotes included.
const OPEN = Buffer.from('{"hash":"');
const PREV = Buffer.from('","prevHash":"');
const RECORD = Buffer.from('","record":');
const CLOSE = Buffer.from('}\n');
const LINE_FIXED = OPEN.length + PREV.length + RECORD.length + CLOSE.length;

// 1 for the bytes a JSON string cannot hold as they are: control characters, quote, backslash.
const ESCAPED = new Uint8Array(256);
for (let b = 0; b < 0x20; b++) ESCAPED[b] = 1;
ESCAPED[0x22] = 1;
ESCAPED[0x5c] = 1;

export class LineCopyError extends Error {}

// Feed it the server's bytes from the COPY's query on, in chunks cut anywhere; each push
// returns the lines of the rows it completed (possibly none). Once the COPY's messages end,
// `after` holds the bytes that follow them, for the driver to read: what follows CopyDone
// (the command's completion), or an ErrorResponse and what follows it; nothing more may be
// pushed. finish() throws unless CopyDone came after the COPY data's end marker.
//
// Allocation per chunk is one output buffer of the lines' exact size: a message cut between
// two chunks is completed from the head of the next one, not by joining the chunks. (Each
// export moves hundreds of megabytes through here, and dead buffers waiting for a
// collection are what grows the process.)
export class RecordLineAssembler {
  after: Buffer | null = null;
  private rest: Buffer | null = null;
  private headerRead = false;
  private ended = false;
  private copyDone = false;
  // Where each tuple found by the last scans starts, in the buffer it was found in.
  private tuples = new Int32Array(1024);
  private found = 0;

  push(chunk: Buffer): Buffer {
    if (this.after !== null) throw new LineCopyError('bytes pushed after the COPY ended');
    this.found = 0;
    let pos = 0;
    let cut: { buf: Buffer; scan: Scan } | null = null;
    if (this.rest !== null) {
      const rest = this.rest;
      for (let take = Math.min(chunk.length, 1024); ; take = Math.min(chunk.length, take * 4)) {
        const joined = Buffer.concat([rest, chunk.subarray(0, take)]);
        const scan = this.scan(joined, 0, 1);
        if (scan.end > 0 || this.after !== null) {
          cut = { buf: joined, scan };
          this.rest = null;
          if (this.after === null) pos = scan.end - rest.length;
          else {
            // The COPY ended in the joined bytes: the rest of the chunk is the driver's too.
            this.after = Buffer.concat([this.after, chunk.subarray(take)]);
            pos = chunk.length;
          }
          break;
        }
        if (take === chunk.length) {
          this.rest = joined;
          return EMPTY;
        }
      }
    }
    const cutTuples = this.found;
    const scan = this.scan(chunk, pos, Infinity);
    if (scan.end < chunk.length) this.rest = chunk.subarray(scan.end);
    const size = (cut?.scan.size ?? 0) + scan.size;
    if (size === 0) return EMPTY;
    const sink = { out: Buffer.allocUnsafe(size), at: 0 };
    if (cut !== null) this.writeLines(cut.buf, 0, cutTuples, sink);
    this.writeLines(chunk, cutTuples, this.found, sink);
    return sink.out.subarray(0, sink.at);
  }

  finish(): void {
    if (!this.copyDone) throw new LineCopyError('the COPY ended before CopyDone');
    if (!this.ended) throw new LineCopyError('CopyDone before the end of the COPY data');
  }

  // Up to `limit` whole messages of buf from pos, checked: where they end, the bytes their
  // lines take with plain hashes, and where their tuples start (this.tuples). Stops at the
  // first message that is not the COPY's, setting `after` (which holds the rest of buf, so
  // the scan then ends at buf's end).
  private scan(buf: Buffer, pos: number, limit: number): Scan {
    let size = 0;
    const end = buf.length;
    for (let messages = 0; messages < limit && end - pos >= MESSAGE_HEAD; messages++) {
      const type = buf[pos];
      const length = buf.readInt32BE(pos + 1);
      if (length < 4) throw new LineCopyError(`a message of length ${length}`);
      const next = pos + 1 + length;
      if (type === COPY_DATA) {
        if (next > end) break;
        size += this.copyData(buf, pos + MESSAGE_HEAD, next);
      } else if (type === COPY_OUT_RESPONSE) {
        if (next > end) break;
        // Its overall format: 1 is binary.
        if (buf[pos + MESSAGE_HEAD] !== 1) throw new LineCopyError('not a binary COPY (format)');
      } else if (type !== NOTICE && type !== PARAMETER_STATUS && type !== NOTIFICATION) {
        // CopyDone is the COPY's; an ErrorResponse, or anything else, is the driver's.
        if (type === COPY_DONE) {
          this.copyDone = true;
          pos = next;
        }
        this.after = buf.subarray(pos);
        return { end, size };
      } else if (next > end) break;
      pos = next;
    }
    return { end: pos, size };
  }

  // The COPY data of one message, buf[start, end): the header (first), whole tuples, the
  // end marker. Returns the bytes the tuples' lines take with plain hashes.
  private copyData(buf: Buffer, start: number, end: number): number {
    let pos = start;
    let size = 0;
    if (!this.headerRead) {
      pos = binaryCopyHeaderEnd(buf, pos, end, (why) => new LineCopyError(why));
      this.headerRead = true;
    }
    while (pos < end) {
      if (this.ended) throw new LineCopyError('bytes after the end of the COPY data');
      if (end - pos < 2) throw splitTuple();
      const count = buf.readInt16BE(pos);
      if (count === -1) {
        this.ended = true;
        pos += 2;
        continue;
      }
      if (count !== FIELDS) throw new LineCopyError(`a tuple of ${count} fields, not ${FIELDS}`);
      let p = pos + 2;
      for (let f = 0; f < FIELDS; f++) {
        if (end - p < 4) throw splitTuple();
        p += 4 + fieldLength(buf, p);
      }
      if (p > end) throw splitTuple();
      if (this.found === this.tuples.length) {
        const more = new Int32Array(this.tuples.length * 2);
        more.set(this.tuples);
        this.tuples = more;
      }
      this.tuples[this.found++] = pos;
      size += LINE_FIXED + (p - pos) - TUPLE_FRAMING;
      pos = p;
    }
    return size;
  }

  // The lines of the tuples this.tuples[from, to) of buf, written to sink.
  private writeLines(buf: Buffer, from: number, to: number, sink: Sink): void {
    for (let t = from; t < to; t++) {
      const hashLength = buf.readInt32BE(this.tuples[t] + 2);
      const hashStart = this.tuples[t] + 6;
      const prevLength = buf.readInt32BE(hashStart + hashLength);
      const prevStart = hashStart + hashLength + 4;
      const recordLength = buf.readInt32BE(prevStart + prevLength);
      const recordStart = prevStart + prevLength + 4;
      const recordEnd = recordStart + recordLength;

      const out = sink.out;
      const lineStart = sink.at;
      let o = put(out, lineStart, OPEN);
      let escaped = copyHash(buf, hashStart, hashLength, out, o);
      o = put(out, o + hashLength, PREV);
      escaped |= copyHash(buf, prevStart, prevLength, out, o);
      o = put(out, o + prevLength, RECORD);
      o += buf.copy(out, o, recordStart, recordEnd);
      sink.at = put(out, o, CLOSE);
      if (escaped !== 0) {
        // Longer than the scan counted: the rest of the buffer moves up by the difference.
        const line = escapedLine(buf, hashStart, hashLength, prevStart, prevLength);
        const record = buf.subarray(recordStart, recordEnd);
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
}

interface Scan {
  end: number;
  size: number;
}

interface Sink {
  out: Buffer;
  at: number;
}

const EMPTY = Buffer.alloc(0);

function splitTuple(): LineCopyError {
  return new LineCopyError('a tuple split across CopyData messages');
}

function fieldLength(buf: Buffer, pos: number): number {
  const length = buf.readInt32BE(pos);
  if (length < 0) throw new LineCopyError('a NULL field in an exported record');
  return length;
}

// Copies length bytes of a hash from buf to out as they are; non-zero if one of them must
// be escaped in a JSON string.
function copyHash(buf: Buffer, start: number, length: number, out: Buffer, o: number): number {
  let escaped = 0;
  for (let i = 0; i < length; i++) {
    const b = buf[start + i];
    escaped |= ESCAPED[b];
    out[o + i] = b;
  }
  return escaped;
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

// A COPY … TO STDOUT (FORMAT binary) of (hash, prev_hash, canonical), run with
// client.query(), read as a stream of NDJSON lines (RecordLineAssembler). While the COPY
// runs it reads the connection's socket itself, in place of the driver's parser, pausing the
// socket while its reader is behind; the bytes after the COPY's messages go back to the
// driver, which reads the command's completion (or the error that ended the COPY) as for any
// query. A COPY that does not get that far (its reader stopped, or its data was refused)
// leaves the connection unusable: the rest of its bytes are discarded until the caller
// closes it (copyLines does). The connection must not be pipelined (node-postgres refuses
// custom queries there).
export class RecordLinesCopy extends Readable implements Submittable {
  private readonly lines = new RecordLineAssembler();
  private socket: Connection['stream'] | null = null;
  // The driver's reader of the socket while the COPY holds it.
  private driverRead: ((chunk: Buffer) => void) | null = null;
  private complete = false;
  private readonly onData = (chunk: Buffer): void => this.onChunk(chunk);

  constructor(private readonly text: string) {
    super();
  }

  submit(connection: Connection): void {
    const socket = connection.stream;
    const [driverRead, ...others] = socket.listeners('data') as ((chunk: Buffer) => void)[];
    if (driverRead === undefined || others.length > 0)
      throw new LineCopyError('the connection is not read by one data listener');
    this.socket = socket;
    this.driverRead = driverRead;
    socket.removeListener('data', driverRead);
    socket.on('data', this.onData);
    connection.query(this.text);
  }

  override _read(): void {
    if (this.driverRead !== null) this.socket?.resume();
  }

  // While the COPY still holds the socket, its bytes are read and dropped (onChunk).
  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    if (this.driverRead !== null) this.socket?.resume();
    callback(err);
  }

  // The driver's calls, once the socket is its own again.
  handleError(err: Error): void {
    this.destroy(err);
  }

  handleCommandComplete(): void {}

  handleReadyForQuery(): void {
    if (!this.complete) this.destroy(new LineCopyError('the COPY ended without its data'));
  }

  private onChunk(chunk: Buffer): void {
    if (this.destroyed) return;
    let lines: Buffer;
    try {
      lines = this.lines.push(chunk);
    } catch (e) {
      this.destroy(e as Error);
      return;
    }
    if (lines.length > 0 && !this.push(lines)) this.socket?.pause();
    if (this.lines.after !== null) this.giveBack(this.lines.after);
  }

  private giveBack(after: Buffer): void {
    const socket = this.socket;
    const driverRead = this.driverRead;
    if (socket === null || driverRead === null) return;
    this.driverRead = null;
    socket.removeListener('data', this.onData);
    socket.on('data', driverRead);
    socket.resume();
    if (after[0] !== ERROR_RESPONSE) {
      // Ended by CopyDone (or by a message that has no place in a COPY).
      try {
        this.lines.finish();
        this.complete = true;
        this.push(null);
      } catch (e) {
        this.destroy(e as Error);
      }
    }
    // An ErrorResponse comes back through handleError.
    if (after.length > 0) driverRead(after);
  }
}
