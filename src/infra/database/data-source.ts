import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { dataSourceOptions, ENTITIES_GLOB } from './typeorm-options';

// Used only by the TypeORM CLI (`npm run migration:*`), which needs DATABASE_URL. The app
// itself builds its data source from the validated configuration.
const url = process.env.DATABASE_URL;
if (!url) {
  throw new Error(
    'DATABASE_URL must be set for the migration commands (postgres://user:pass@host:5432/db).',
  );
}

export default new DataSource({
  ...dataSourceOptions({ url, poolSize: 2, statementTimeoutMs: 600_000 }),
  entities: [ENTITIES_GLOB],
});
