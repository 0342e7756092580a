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
