import 'reflect-metadata';
import { DataSource, QueryFailedError } from 'typeorm';
import { behindLock } from '../../src/infra/database/behind-lock';
import { type Prepared, preparedQuery, preparedRows } from '../../src/infra/database/prepared';
import { dataSourceOptions } from '../../src/infra/database/typeorm-options';
import { createTestDatabase, type TestDatabase } from '../support/test-app';

const READ: Prepared = {
  name: 'test_prepared_read',
  text: 'SELECT id, label AS "theLabel" FROM prepared_t WHERE id = $1',
};
const WRITE: Prepared = {
  name: 'test_prepared_write',
  text: 'UPDATE prepared_t SET label = $2 WHERE id = $1',
};
const BROKEN: Prepared = { name: 'test_prepared_broken', text: 'SELECT 1 / $1::int AS x' };

// The hot paths' prepared statements (src/infra/database/prepared.ts): prepared once per
// connection, sent in the order they are started, behind a lock, in the manager's transaction
// or on the pool without one, their errors as TypeORM's.
describe('database: prepared statements of the hot paths', () => {
  let db: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase();
    dataSource = new DataSource({
      ...dataSourceOptions({ url: db.url, poolSize: 2, statementTimeoutMs: 60_000 }),
      entities: [],
      migrations: [],
    });
    await dataSource.initialize();
    await dataSource.query('CREATE TABLE prepared_t (id int PRIMARY KEY, label text NOT NULL)');
    await dataSource.query(`INSERT INTO prepared_t VALUES (1, 'one'), (2, 'two')`);
  });
  afterAll(async () => {
    await dataSource.destroy();
    await db.drop();
  });

  it('run in the transaction, in the order started, behind a lock, prepared on its connection under their names', async () => {
    const seen = await dataSource.transaction(async (m) => {
      const { locked, result } = await behindLock(
        m,
        { text: 'SELECT 1 FROM prepared_t WHERE id = $1 FOR UPDATE', values: [1] },
        () => {
          // Started one after the other without awaiting: the read sees the write.
          const wrote = preparedQuery(m, WRITE, [1, 'uno']);
          const read = preparedRows<{ id: number; theLabel: string }>(m, READ, [1]);
          return Promise.all([wrote, read]);
        },
      );
      const [wrote, rows] = result;
      const again = await preparedRows<{ theLabel: string }>(m, READ, [2]);
      const prepared = await m.query<{ name: string }[]>(
        `SELECT name FROM pg_prepared_statements WHERE name LIKE 'test_prepared_%' ORDER BY name`,
      );
      return { locked, affected: wrote.rowCount, rows, again, prepared };
    });
    expect(seen.locked).toBe(1);
    expect(seen.affected).toBe(1);
    expect(seen.rows).toEqual([{ id: 1, theLabel: 'uno' }]);
    expect(seen.again).toEqual([{ id: 2, theLabel: 'two' }]);
    expect(seen.prepared.map((p) => p.name)).toEqual(['test_prepared_read', 'test_prepared_write']);
  });

  it('run on the pool without a transaction, and on a query runner once it connects', async () => {
    expect(await preparedRows(dataSource.manager, READ, [2])).toEqual([{ id: 2, theLabel: 'two' }]);
    const runner = dataSource.createQueryRunner();
    try {
      expect(await preparedRows(runner.manager, READ, [1])).toEqual([{ id: 1, theLabel: 'uno' }]);
    } finally {
      await runner.release();
    }
  });

  it('fail with TypeORM’s QueryFailedError, and abort the transaction as any statement would', async () => {
    const failed = dataSource.transaction(async (m) => {
      await preparedRows(m, WRITE, [2, 'dos']);
      await preparedRows(m, BROKEN, [0]);
    });
    await expect(failed).rejects.toBeInstanceOf(QueryFailedError);
    await expect(failed).rejects.toMatchObject({ driverError: { code: '22012' } });
    expect(await preparedRows(dataSource.manager, READ, [2])).toEqual([{ id: 2, theLabel: 'two' }]);
  });
});
