import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type HekimProcess, runHekim, startHekim } from '../support/hekim-process';

const ROOT = join(__dirname, '..', '..');
const SCRIPTS = join(ROOT, 'dist', 'scripts');

function runScript(
  file: string,
  env: NodeJS.ProcessEnv,
  args: string[] = [],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = spawn(process.execPath, [file, ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => proc.once('exit', (code) => resolve({ code, stdout, stderr })));
}

// docs/operations.md, "Commands": in the embedded mode the operations commands work on
// DATA_DIR's own database: the running Hekim's when there is one, otherwise one they start
// and stop themselves. A second Hekim on the same DATA_DIR is refused instead of stopping
// the first one's database.
describe('embedded mode: operations commands on the embedded database', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hekim-commands-'));
  const env = { NODE_ENV: 'development', PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'info' };
  const pgdata = join(dataDir, 'pg', 'data');

  // A Hekim left running by a failed assertion would hold its database and port after the run.
  const started: HekimProcess[] = [];
  const start = async (): Promise<HekimProcess> => {
    const hekim = await startHekim(env);
    started.push(hekim);
    return hekim;
  };
  afterAll(async () => {
    for (const hekim of started.filter((h) => h.proc.exitCode === null)) {
      hekim.proc.kill('SIGTERM');
      await hekim.exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses a DATA_DIR where Hekim never created its database', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'hekim-commands-empty-'));
    try {
      const run = await runScript(join(SCRIPTS, 'retention-run.js'), { ...env, DATA_DIR: empty });
      expect(run.code).toBe(78);
      expect(run.stderr).toContain(`there is no embedded database in ${empty} yet`);
      expect(existsSync(join(empty, 'pg'))).toBe(false);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('runs on the running Hekim’s database, then on its own once Hekim has stopped', async () => {
    const hekim = await start();
    const ready = /\{[^\n]*is ready[^\n]*\}/.exec(hekim.output())?.[0] ?? '{}';
    const { database, dataDir: readyDataDir } = JSON.parse(ready) as {
      database: string;
      dataDir: string;
    };
    expect(database).toMatch(/^postgres:\/\/hekim@127\.0\.0\.1:\d+\/hekim$/);
    expect(readyDataDir).toBe(pgdata);

    const during = await runScript(join(SCRIPTS, 'retention-run.js'), env);
    expect({ code: during.code, stderr: during.stderr }).toEqual({
      code: 0,
      stderr: expect.stringContaining(
        `using the embedded PostgreSQL of the running Hekim (pid ${hekim.proc.pid}) at ${database}`,
      ) as string,
    });
    expect(JSON.parse(during.stdout)).toMatchObject({ trigger: 'command' });

    // A second Hekim on the same DATA_DIR leaves the first one's database alone.
    const second = await runHekim({ ...env });
    expect(second.code).toBe(75);
    expect(second.output.trim()).toBe(
      `Hekim cannot start: the embedded database in ${dataDir} is in use by a running Hekim ` +
        `(pid ${hekim.proc.pid}): stop that Hekim first, or give this one another DATA_DIR ` +
        `(if no such process is running, delete ${join(dataDir, 'embedded-db.holder.json')}).`,
    );
    expect((await fetch(`${hekim.url}/health/ready`)).status).toBe(200);
    hekim.proc.kill('SIGTERM');
    expect((await hekim.exited).code).toBe(0);

    const secrets = JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')) as {
      PATIENT_DATA_MASTER_KEY: string;
    };
    const rotated = await runScript(join(SCRIPTS, 'keys-rotate.js'), {
      ...env,
      PATIENT_DATA_MASTER_KEY: `pk-next:${randomBytes(32).toString('base64')}`,
      PATIENT_DATA_PREVIOUS_MASTER_KEYS: secrets.PATIENT_DATA_MASTER_KEY,
    });
    expect(rotated.code).toBe(0);
    expect(JSON.parse(rotated.stdout)).toMatchObject({ keyId: 'pk-next' });
    expect(rotated.stderr).toMatch(/embedded PostgreSQL is running at postgres:\/\/hekim@127/);
    expect(rotated.stderr).toContain('embedded PostgreSQL stopped');
    const { password } = JSON.parse(readFileSync(join(dataDir, 'embedded-db.json'), 'utf8')) as {
      password: string;
    };
    expect(`${during.stderr}${rotated.stderr}${hekim.output()}`).not.toContain(password);
    // Stopped behind it: no running postmaster, no holder left.
    expect(existsSync(join(pgdata, 'postmaster.pid'))).toBe(false);
    expect(existsSync(join(dataDir, 'embedded-db.holder.json'))).toBe(false);

    // The migration commands (TypeORM's CLI on dist's data source) likewise.
    const migrations = await runScript(join(ROOT, 'node_modules', 'typeorm', 'cli.js'), env, [
      'migration:show',
      '-d',
      join(ROOT, 'dist', 'src', 'infra', 'database', 'data-source.js'),
    ]);
    expect(migrations.code).toBe(0);
    expect(migrations.stdout).toMatch(/\[X\] \d+ CreateUsers1763700000000/);
    expect(migrations.stderr).toContain('embedded PostgreSQL stopped');
    expect(existsSync(join(pgdata, 'postmaster.pid'))).toBe(false);

    // The retention run of the first command was kept; the next start finds no orphan and
    // does not print the admin password again.
    const again = await start();
    const admin = JSON.parse(readFileSync(join(dataDir, 'initial-admin.json'), 'utf8')) as {
      password: string;
    };
    expect(again.output()).not.toContain('found a PostgreSQL left running');
    expect(again.output()).not.toContain(admin.password);
    again.proc.kill('SIGTERM');
    expect((await again.exited).code).toBe(0);
  });
});
