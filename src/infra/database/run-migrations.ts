import { DataSource } from 'typeorm';
import { DatabaseMigrator } from './database-migrator';
import { dataSourceOptions } from './typeorm-options';

// Applies pending migrations from the compiled migrations next to this file, under the same
// advisory lock as start-up migrations, without the app (no secrets, no Redis). Used by
// `node dist/src/migrate.js`, the container's migration command (Helm's pre-upgrade Job).
// Two connections: one holds the advisory lock while TypeORM migrates on the other.
export async function runMigrations(url: string, statementTimeoutMs = 600_000): Promise<string[]> {
  const dataSource = new DataSource(dataSourceOptions({ url, poolSize: 2, statementTimeoutMs }));
  await dataSource.initialize();
  try {
    return await new DatabaseMigrator(dataSource).migrate();
  } finally {
    await dataSource.destroy();
  }
}
