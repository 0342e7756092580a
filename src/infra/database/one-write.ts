import type { Client } from 'pg';

// Holds what is written to the connection from now until the promise callbacks already queued,
// and those they queue in turn, have run, then sends it in one write: a statement sent now and
// the one its caller sends next without waiting for I/O (an audit append and the COMMIT
// TypeORM sends behind it, docs/audit.md "Written with the commit") reach PostgreSQL in one
// segment, with one system call on each side, instead of two. Call it from a promise callback
// (code after an `await`): the release is a process.nextTick callback, which Node runs once
// the promise callbacks queued by then have run. Only the moment the bytes leave changes: if
// the next statement comes later (after real I/O), the first goes out alone, as it would
// have. The socket is node-postgres's `connection.stream` (test/audit/pg-internals.e2e-spec.ts).
export function writeWithNext(client: Client): void {
  const socket = client.connection.stream;
  socket.cork();
  process.nextTick(() => socket.uncork());
}
