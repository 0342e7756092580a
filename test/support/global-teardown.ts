import { Client } from 'pg';
import { TEST_DATABASE_URL, templateDatabaseName } from './test-env';

export default async function globalTeardown(): Promise<void> {
  const admin = new Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${templateDatabaseName()}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
