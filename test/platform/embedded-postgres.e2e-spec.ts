import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import {
  EmbeddedDatabaseError,
  startEmbeddedPostgres,
} from '../../src/infra/database/embedded-postgres';

const quiet = { log: () => undefined, warn: () => undefined };

// The embedded PostgreSQL in-process (embedded-mode.e2e-spec.ts drives it through `npm start`).
describe('embedded PostgreSQL', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hekim-pg-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('initialises a cluster, serves SQL, keeps data across restarts and never runs as root', async () => {
    const first = await startEmbeddedPostgres(dataDir, 0, quiet);
    const client = new Client({ connectionString: first.url });
    await client.connect();
    await client.query('CREATE TABLE kept (v text)');
    await client.query("INSERT INTO kept VALUES ('still here')");
    const { rows } = await client.query<{ version: string; pid: number }>(
      "SELECT current_setting('server_version_num') AS version, pg_backend_pid() AS pid",
    );
    expect(Number(rows[0].version)).toBeGreaterThanOrEqual(150000);
    // Backends run as the postmaster's OS user: never root, even when the tests run as root.
    const osUser = execFileSync('ps', ['-o', 'user=', '-p', String(rows[0].pid)], {
      encoding: 'utf8',
    }).trim();
    expect(osUser).not.toBe('root');
    expect(osUser.length).toBeGreaterThan(0);
    await client.end();
    await first.stop();
    await first.stop();

    const second = await startEmbeddedPostgres(dataDir, 0, quiet);
    const again = new Client({ connectionString: second.url });
    await again.connect();
    expect((await again.query<{ v: string }>('SELECT v FROM kept')).rows).toEqual([
      { v: 'still here' },
    ]);
    await again.end();
    await second.stop();
  });

  it('says plainly what is wrong when the credentials of an existing cluster are missing', async () => {
    unlinkSync(join(dataDir, 'embedded-db.json'));
    await expect(startEmbeddedPostgres(dataDir, 0, quiet)).rejects.toThrow(EmbeddedDatabaseError);
    await expect(startEmbeddedPostgres(dataDir, 0, quiet)).rejects.toThrow(
      /embedded-db\.json is missing/,
    );
  });
});
