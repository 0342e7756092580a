import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/infra/database/typeorm-options';
import { databaseUrl, TEST_DATABASE_URL, templateDatabaseName } from './test-env';

// One migrated template database per test run; each test file clones it (CREATE DATABASE …
// TEMPLATE is a file copy, ~100 ms), so files run in parallel, in any order, on their own data.
export default async function globalSetup(): Promise<void> {
  process.env.HEKIM_TEST_RUN_ID = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const name = templateDatabaseName();
  const admin = new Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  try {
    await dropStaleDatabases(admin);
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const dataSource = new DataSource(
    dataSourceOptions({ url: databaseUrl(name), poolSize: 1, statementTimeoutMs: 60_000 }),
  );
  await dataSource.initialize();
  try {
    await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await dataSource.destroy();
  }
}

// Databases left behind by runs that were killed more than an hour ago (names carry the
// run's start time in base 36).
async function dropStaleDatabases(admin: Client): Promise<void> {
  const { rows } = await admin.query<{ datname: string }>(
    `SELECT datname FROM pg_database WHERE datname ~ '^hekim_(tpl|t)_'`,
  );
  for (const { datname } of rows) {
    const started = parseInt(datname.split('_')[2] ?? '', 36);
    if (Number.isFinite(started) && started < Date.now() - 3600_000) {
      await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    }
  }
}
