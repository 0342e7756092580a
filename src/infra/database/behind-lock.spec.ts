import { type EntityManager, QueryRunnerAlreadyReleasedError } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { PostgresQueryRunner } from 'typeorm/driver/postgres/PostgresQueryRunner';
import { isDependencyFailure } from '../../common/errors/dependency-failure';
import { transactionClient } from './behind-lock';
import { preparedQuery } from './prepared';

// A runner in the state its transaction leaves it in, without a database.
function managerWith(state: { isTransactionActive: boolean; isReleased: boolean }): EntityManager {
  const runner = new PostgresQueryRunner({ connection: {} } as unknown as PostgresDriver, 'master');
  Object.assign(runner, state);
  return { queryRunner: runner } as unknown as EntityManager;
}

describe('transactionClient', () => {
  it('answers a transaction whose connection was lost as a dependency failure (503), not a bug', async () => {
    const lost = transactionClient(
      managerWith({ isTransactionActive: true, isReleased: true }),
      'appending to the audit chain',
    );
    await expect(lost).rejects.toBeInstanceOf(QueryRunnerAlreadyReleasedError);
    expect(isDependencyFailure(await lost.catch((e: unknown) => e))).toBe(true);
  });

  it('refuses a manager outside a transaction as the programming error it is', async () => {
    for (const state of [
      { isTransactionActive: false, isReleased: false },
      { isTransactionActive: false, isReleased: true },
    ]) {
      const outside = transactionClient(managerWith(state), 'appending to the audit chain');
      await expect(outside).rejects.toThrow(
        'appending to the audit chain needs a PostgreSQL transaction',
      );
      expect(isDependencyFailure(await outside.catch((e: unknown) => e))).toBe(false);
    }
  });

  it('never runs a prepared statement of a transaction that lost its connection on the pool', async () => {
    const pool = { query: jest.fn() };
    const manager = Object.assign(managerWith({ isTransactionActive: true, isReleased: true }), {
      connection: { driver: { master: pool } },
    });
    await expect(
      preparedQuery(manager, { name: 'test_lost', text: 'SELECT 1' }, []),
    ).rejects.toBeInstanceOf(QueryRunnerAlreadyReleasedError);
    expect(pool.query).not.toHaveBeenCalled();
  });
});
