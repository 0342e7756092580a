import type { PoolClient } from 'pg';
import { type EntityManager, QueryFailedError, QueryRunnerAlreadyReleasedError } from 'typeorm';
import { PostgresQueryRunner } from 'typeorm/driver/postgres/PostgresQueryRunner';

export interface LockStatement {
  text: string;
  values: unknown[];
}

// Takes a lock inside the manager's transaction and runs the reads that need it (`reads`,
// which query through the same manager) behind it in the same round trip: the lock statement
// is written to the connection first, and the reads follow it without waiting for its answer
// (the connection is pipelined, `pipeline: true` in typeorm-options.ts; without pipelining
// node-postgres queues them in the same order). PostgreSQL runs a connection's statements one
// after the other, and in READ COMMITTED each statement reads with a snapshot taken when it
// starts, so every read runs after the lock is granted and sees what its previous holder
// committed: the same answers as awaiting the lock first, one round trip instead of two or
// more. (One statement that locks and joins would not do: a row lock waited for inside a
// statement re-reads the locked row only, and the joined rows would be those of the snapshot
// taken before the wait.) Resolves with the number of rows the lock statement returned and
// what `reads` resolved with; if the lock fails, its error is thrown (the reads then fail only
// because the transaction was aborted).
export async function behindLock<T>(
  manager: EntityManager,
  lock: LockStatement,
  reads: () => Promise<T>,
): Promise<{ locked: number; result: T }> {
  const client = await transactionClient(manager, 'a lock with reads behind it');
  return behindLockOn(client, lock, reads);
}

// The same on a connection the caller holds outside a transaction, for a lock kept by the
// session (the chat's room turn, docs/chat.md "Delivery"): `reads` must query through that
// connection (e.g. the manager of the query runner it belongs to).
export async function behindLockOn<T>(
  client: PoolClient,
  lock: LockStatement,
  reads: () => Promise<T>,
): Promise<{ locked: number; result: T }> {
  const sent: Promise<{ rowCount: number | null }> = client.query(lock.text, lock.values);
  // Observed at once, so that a failing lock is never unhandled while the reads run.
  sent.catch(() => undefined);
  let result: T;
  try {
    result = await reads();
  } catch (e) {
    await lockAnswer(sent, lock);
    throw e;
  }
  const { rowCount } = await lockAnswer(sent, lock);
  return { locked: rowCount ?? 0, result };
}

async function lockAnswer(
  sent: Promise<{ rowCount: number | null }>,
  lock: LockStatement,
): Promise<{ rowCount: number | null }> {
  try {
    return await sent;
  } catch (e) {
    throw new QueryFailedError(lock.text, lock.values, e as Error);
  }
}

// The connection of the manager's transaction, for statements that must run inside one (a lock
// or an audit append taken outside one would be released at once). `what` names the caller in
// the error, e.g. "appending to the audit chain". A transaction whose connection was lost fails
// as heldConnection says.
export async function transactionClient(manager: EntityManager, what: string): Promise<PoolClient> {
  const runner = manager.queryRunner;
  if (!(runner instanceof PostgresQueryRunner) || !runner.isTransactionActive) {
    throw new Error(`${what} needs a PostgreSQL transaction`);
  }
  heldConnection(runner);
  return (await runner.connect()) as PoolClient;
}

// Throws when the runner's transaction lost its connection (PostgreSQL terminated its backend,
// and TypeORM released the runner with the transaction still open): TypeORM's
// QueryRunnerAlreadyReleasedError, which the error filter answers with 503
// (common/errors/dependency-failure.ts), as the transaction's own next statement through
// TypeORM would. A statement of that transaction must fail, never run anywhere else.
export function heldConnection(runner: unknown): void {
  if (runner instanceof PostgresQueryRunner && runner.isTransactionActive && runner.isReleased)
    throw new QueryRunnerAlreadyReleasedError();
}
