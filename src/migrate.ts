import 'reflect-metadata';
import { runMigrations } from './infra/database/run-migrations';

// Production entry for schema migrations: `node dist/src/migrate.js` with DATABASE_URL.
// It needs only the database (not the app's secrets), so a migration Job can run it before
// the new version's pods start. Exit 0: schema is current; 1: it failed (nothing half-applied,
// each migration runs in its own transaction).
async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    process.stderr.write('DATABASE_URL must be set (postgres://user:pass@host:5432/db).\n');
    process.exit(78); // EX_CONFIG
  }
  try {
    const applied = await runMigrations(url);
    process.stdout.write(
      `${JSON.stringify({ level: 'info', applied, msg: applied.length > 0 ? `applied ${applied.length} migration(s)` : 'schema is up to date' })}\n`,
    );
  } catch (error) {
    process.stderr.write(
      `${JSON.stringify({ level: 'fatal', msg: 'migrations failed', err: error instanceof Error ? error.message : String(error) })}\n`,
    );
    process.exit(1);
  }
}

void main();
