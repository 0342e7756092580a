// Where the test suite finds its real PostgreSQL and Redis. Defaults match the CI machines
// (trust auth on 127.0.0.1:5432, Redis on 6379); override with TEST_DATABASE_URL/TEST_REDIS_URL.
export const TEST_DATABASE_URL =
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export function databaseUrl(name: string): string {
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

export function templateDatabaseName(): string {
  const runId = process.env.HEKIM_TEST_RUN_ID;
  if (!runId)
    throw new Error('HEKIM_TEST_RUN_ID is not set: run the e2e tests through jest (global setup).');
  return `hekim_tpl_${runId}`;
}
