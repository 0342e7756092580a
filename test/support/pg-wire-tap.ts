import { Client as PgClient } from 'pg';

// A stretch of one connection's statements as they went over the wire, from the statement
// that opens it to the one that closes it (both included), and for each the round trip it went
// out in on that connection.
export interface WireSpan {
  statements: string[];
  roundTrips: number[];
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
  const wire = new Map<object, { sent: { text: string; roundTrip: number }[]; waiting: number }>();
  let roundTrips = 0;
  const proto = PgClient.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  proto.query = function (this: object, ...args: unknown[]): unknown {
    const first = args[0] as string | { text: string };
    const on = wire.get(this) ?? { sent: [], waiting: 0 };
    wire.set(this, on);
    if (on.waiting++ === 0) roundTrips++;
    on.sent.push({ text: typeof first === 'string' ? first : first.text, roundTrip: roundTrips });
    const answer = original.apply(this, args);
    const settled = (): void => void on.waiting--;
    if (answer instanceof Promise) answer.then(settled, settled);
    else settled();
    return answer;
  };
  const spans = (): WireSpan[] =>
    [...wire.values()].flatMap(({ sent }) => {
      const out: WireSpan[] = [];
      let open: WireSpan | undefined;
      for (const { text, roundTrip } of sent) {
        if (bounds.opens(text)) open = { statements: [], roundTrips: [] };
        open?.statements.push(text);
        open?.roundTrips.push(roundTrip);
        if (open && bounds.closes(text)) {
          out.push(open);
          open = undefined;
        }
      }
      return out;
    });
  return { spans, restore: () => (proto.query = original) };
}
