import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfig } from '../../config/load-config';
import { openCommandDatabase } from './command-database';
import { dataSourceOptions, ENTITIES_GLOB } from './typeorm-options';

// Used only by the TypeORM CLI (`npm run migration:*`). With DATABASE_URL it works on that
// database; without it, on the embedded mode's database in DATA_DIR, like the other
// operations commands (docs/operations.md, "Commands"). The CLI destroys the data source
// before it exits, which also stops an embedded PostgreSQL started for it. The app itself
// builds its data source from the validated configuration.
async function commandDataSource(): Promise<DataSource> {
  // DATABASE_URL alone is enough (a production checkout need not hold the app's secrets).
  const given = process.env.DATABASE_URL;
  const db = given
    ? { url: given, close: () => Promise.resolve() }
    : await openCommandDatabase(loadConfig(process.env), 'migration', (line) =>
        process.stderr.write(`${line}\n`),
      );
  const dataSource = new DataSource({
    ...dataSourceOptions({ url: db.url, poolSize: 2, statementTimeoutMs: 600_000 }),
    entities: [ENTITIES_GLOB],
  });
  const destroy = dataSource.destroy.bind(dataSource);
  dataSource.destroy = async () => {
    try {
      await destroy();
    } finally {
      await db.close();
    }
  };
  return dataSource;
}

export default commandDataSource();
