import { Socket } from 'node:net';
import type { Writable } from 'node:stream';
import { Client as PgClient } from 'pg';

// A stretch of one connection's statements as they went over the wire, from the statement
// that opens it to the one that closes it (both included), and for each the round trip it went
// out in on that connection.
export interface WireSpan {
  statements: string[];
  roundTrips: number[];
  // Writes to the connection's socket from the span's first statement until the statement
  // after its last (or until now): how many times its statements went out.
  writes: number;
}

// Where a span starts and ends: a transaction's START TRANSACTION and COMMIT, a chat turn's
// advisory lock and unlock.
export interface SpanBounds {
  opens: (sql: string) => boolean;
  closes: (sql: string) => boolean;
}

// Taps every statement sent to PostgreSQL from now until restore(), by connection, and the
// round trips they took: a statement sent while no other awaits its answer on that connection
// starts one; one sent while another is in flight (an audit record with the COMMIT, a read
// behind a lock) rides in it. spans() cuts each connection's statements at the bounds given;
// statements outside a span are left out. Restore in a `finally`: the tap patches pg's Client
// for the whole process.
export function tapPgWire(bounds: SpanBounds): { spans: () => WireSpan[]; restore: () => void } {
  interface Sent {
    text: string;
    roundTrip: number;
    writesBefore: number;
  }
  const wire = new Map<object, { sent: Sent[]; waiting: number; writes: number }>();
  const streams: Writable[] = [];
  let roundTrips = 0;
  const proto = PgClient.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  proto.query = function (this: PgClient, ...args: unknown[]): unknown {
    const first = args[0] as string | { text: string };
    let on = wire.get(this);
    if (!on) {
      const counted = { sent: [], waiting: 0, writes: 0 };
      on = counted;
      wire.set(this, on);
      countWrites(this.connection.stream, () => counted.writes++);
      streams.push(this.connection.stream);
    }
    if (on.waiting++ === 0) roundTrips++;
    on.sent.push({
      text: typeof first === 'string' ? first : first.text,
      roundTrip: roundTrips,
      writesBefore: on.writes,
    });
    const answer = original.apply(this, args);
    const settled = (): void => void on.waiting--;
    if (answer instanceof Promise) answer.then(settled, settled);
    else settled();
    return answer;
  };
  const spans = (): WireSpan[] =>
    [...wire.values()].flatMap(({ sent, writes }) => {
      const out: WireSpan[] = [];
      let open: (WireSpan & { from: number }) | undefined;
      sent.forEach(({ text, roundTrip, writesBefore }, i) => {
        if (bounds.opens(text))
          open = { statements: [], roundTrips: [], writes: 0, from: writesBefore };
        open?.statements.push(text);
        open?.roundTrips.push(roundTrip);
        if (open && bounds.closes(text)) {
          const { from, ...span } = open;
          out.push({ ...span, writes: (sent[i + 1]?.writesBefore ?? writes) - from });
          open = undefined;
        }
      });
      return out;
    });
  const restore = (): void => {
    proto.query = original;
    for (const stream of streams) {
      delete (stream as Partial<Writable>)._write;
      delete (stream as Partial<Writable>)._writev;
    }
  };
  return { spans, restore };
}

// Counts the stream's writes to its socket (one system call each), by its own _write and
// _writev, removed by deleting them again.
function countWrites(stream: Writable, counted: () => void): void {
  const { _write: write, _writev: writev } = stream;
  stream._write = function (this: Writable, ...args: Parameters<Writable['_write']>): void {
    counted();
    write.apply(this, args);
  };
  if (writev)
    stream._writev = function (
      this: Writable,
      ...args: Parameters<NonNullable<Writable['_writev']>>
    ): void {
      counted();
      writev.apply(this, args);
    };
}

// One write to a node-postgres client's socket: the socket, and the bytes handed to the
// kernel at once.
export interface PgWrite {
  socket: object;
  bytes: Buffer;
}

// Taps what goes out on the sockets of node-postgres's clients from now until restore(): one
// entry per write handed to the kernel (what Node's socket gives its _write or _writev at
// once). Statements sent in one tick (GuardedClient, src/infra/database/typeorm-options.ts)
// share an entry. Restore in a `finally`: the tap patches
// pg's Client and Node's Socket for the whole process.
export function tapPgWrites(): { writes: () => PgWrite[]; restore: () => void } {
  const pgSockets = new WeakSet<object>();
  const writes: PgWrite[] = [];
  const client = PgClient.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const query = client.query;
  client.query = function (this: PgClient, ...args: unknown[]): unknown {
    pgSockets.add(this.connection.stream);
    return query.apply(this, args);
  };
  type Chunk = { chunk: Buffer | string };
  const socket = Socket.prototype as unknown as {
    _write: (chunk: Buffer | string, ...rest: unknown[]) => unknown;
    _writev: (chunks: Chunk[], ...rest: unknown[]) => unknown;
  };
  const write = socket._write;
  const writev = socket._writev;
  const bytes = (c: Buffer | string): Buffer => (typeof c === 'string' ? Buffer.from(c) : c);
  socket._write = function (this: object, chunk, ...rest) {
    if (pgSockets.has(this)) writes.push({ socket: this, bytes: bytes(chunk) });
    return write.call(this, chunk, ...rest);
  };
  socket._writev = function (this: object, chunks, ...rest) {
    if (pgSockets.has(this)) {
      writes.push({ socket: this, bytes: Buffer.concat(chunks.map((c) => bytes(c.chunk))) });
    }
    return writev.call(this, chunks, ...rest);
  };
  return {
    writes: () => [...writes],
    restore: () => {
      client.query = query;
      socket._write = write;
      socket._writev = writev;
    },
  };
}

// The bytes of a simple-protocol query message (`Q`, its length, the text, NUL), as the COMMIT
// TypeORM sends goes out.
export function simpleQueryMessage(text: string): Buffer {
  const body = Buffer.from(`${text}\0`);
  const header = Buffer.alloc(5);
  header.write('Q');
  header.writeUInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}
