import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { dataSourceOptions, ENTITIES_GLOB } from '../../src/infra/database/typeorm-options';
import { createTestDatabase, type TestDatabase } from '../support/test-app';

// Entities and migrations must describe the same schema: if someone changes an entity
// without a migration (or the reverse), TypeORM would have SQL to run and this test fails.
describe('database: migrations', () => {
  let db: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase();
    dataSource = new DataSource({
      ...dataSourceOptions({ url: db.url, poolSize: 2, statementTimeoutMs: 60_000 }),
      entities: [ENTITIES_GLOB],
    });
    await dataSource.initialize();
  });
  afterAll(async () => {
    await dataSource.destroy();
    await db.drop();
  });

  it('leave no drift between entities and the migrated schema', async () => {
    const pending = await dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('revert completely and apply again', async () => {
    const applied = await dataSource.query<unknown[]>('SELECT name FROM migrations');
    expect(applied.length).toBeGreaterThan(0);
    for (let i = 0; i < applied.length; i++)
      await dataSource.undoLastMigration({ transaction: 'each' });
    const tables = await dataSource.query<unknown[]>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'migrations'`,
    );
    expect(tables).toEqual([]);
    const again = await dataSource.runMigrations({ transaction: 'each' });
    expect(again.length).toBe(applied.length);
    expect((await dataSource.driver.createSchemaBuilder().log()).upQueries).toEqual([]);
  });
});
