import type { Pool, PoolClient, QueryResult } from 'pg';
import { type EntityManager, QueryFailedError } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { PostgresQueryRunner } from 'typeorm/driver/postgres/PostgresQueryRunner';
import { heldConnection } from './behind-lock';

// A statement of a hot path, prepared once per connection under its name (planned once, not
// on every call) and sent in plain SQL: no query building, no entity hydration. Its rows come
// back as node-postgres parses them (uuid and text as strings, timestamptz as Date, jsonb
// parsed), with the columns aliased to the entity's property names, so that a row has the
// entity's shape for the columns it selects (docs/performance.md, scenario 5).
export interface Prepared {
  name: string;
  text: string;
}

// The rows of a prepared statement run through the manager (preparedQuery).
export async function preparedRows<R>(
  manager: EntityManager,
  statement: Prepared,
  values: unknown[],
): Promise<R[]> {
  return (await preparedQuery<R>(manager, statement, values)).rows;
}

// Runs a prepared statement where the manager's statements run: on its transaction's
// connection, written to it before this returns its promise (nothing awaited first), so that
// statements started one after the other, awaited or not, go out in that order and behind
// anything already sent on it (a lock taken by behindLock); on the connection of a query
// runner that holds none yet, once connected; on the pool without one. Its error is TypeORM's
// QueryFailedError, as a statement sent through the manager would throw; a transaction whose
// connection was lost fails as heldConnection (behind-lock.ts) says, not on the pool.
export async function preparedQuery<R>(
  manager: EntityManager,
  statement: Prepared,
  values: unknown[],
): Promise<QueryResult & { rows: R[] }> {
  const query = { name: statement.name, text: statement.text, values };
  const runner = manager.queryRunner;
  heldConnection(runner);
  let sent: Promise<QueryResult>;
  if (runner instanceof PostgresQueryRunner && !runner.isReleased) {
    const held = (runner as unknown as { databaseConnection?: PoolClient }).databaseConnection;
    sent = held ? held.query(query) : runner.connect().then((c: PoolClient) => c.query(query));
  } else {
    const pool = (manager.connection.driver as PostgresDriver).master as Pool;
    sent = pool.query(query);
  }
  try {
    return (await sent) as QueryResult & { rows: R[] };
  } catch (e) {
    throw new QueryFailedError(statement.text, values, e as Error);
  }
}
