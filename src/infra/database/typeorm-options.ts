import { join } from 'node:path';
import type { DataSourceOptions } from 'typeorm';

export const MIGRATIONS_GLOB = join(__dirname, '..', '..', '..', 'migrations', '*.{js,ts}');
export const ENTITIES_GLOB = join(__dirname, '..', '..', '**', '*.entity.{js,ts}');

export interface DatabaseConnectionSettings {
  url: string;
  poolSize: number;
  statementTimeoutMs: number;
}

// The options shared by the app, the migration CLI and the tests: the same SQL everywhere.
export function dataSourceOptions(settings: DatabaseConnectionSettings): DataSourceOptions {
  return {
    type: 'postgres',
    url: settings.url,
    applicationName: 'hekim',
    synchronize: false,
    migrationsRun: false,
    migrations: [MIGRATIONS_GLOB],
    migrationsTableName: 'migrations',
    // gen_random_uuid() is built into PostgreSQL 13+; no extension to install.
    installExtensions: false,
    uuidExtension: 'pgcrypto',
    logging: ['error'],
    extra: {
      max: settings.poolSize,
      connectionTimeoutMillis: 3000,
      idleTimeoutMillis: 30_000,
      statement_timeout: settings.statementTimeoutMs,
    },
  };
}
