import { execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runHekim, startHekim } from './support/hekim-process';

// docs/architecture.md (Runtime modes): with no DATABASE_URL and no REDIS_URL, `npm start` runs Hekim on a real
// PostgreSQL it starts itself from the npm-installed binaries (as a non-root user when run
// as root), stops it on SIGTERM, keeps the data, and survives a kill -9 of the previous run.
describe('embedded mode (the README quick start)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hekim-embedded-'));
  const env = { NODE_ENV: 'development', PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'info' };

  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('starts, serves, stops cleanly, restarts on the same data and recovers from kill -9', async () => {
    const first = await startHekim(env);
    const ready = await fetch(`${first.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      details: { database: { status: 'up' }, redis: { mode: 'in-process' } },
    });
    const docs = (await (await fetch(`${first.url}/docs-json`)).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(docs.paths)).toEqual(
      expect.arrayContaining(['/health/live', '/health/ready']),
    );
    expect(first.output()).toContain('created the first admin account admin@hekim.local');
    expect(first.output()).toContain('single instance only');
    const admin = JSON.parse(readFileSync(join(dataDir, 'initial-admin.json'), 'utf8')) as {
      password: string;
    };
    expect(first.output()).toContain(admin.password);

    first.proc.kill('SIGTERM');
    expect(await first.exited).toEqual({ code: 0, signal: null });
    expect(first.output()).toContain('embedded PostgreSQL stopped');

    const second = await startHekim(env);
    expect((await fetch(`${second.url}/health/ready`)).status).toBe(200);
    expect(second.output()).not.toContain('created the first admin account');
    expect(second.output()).not.toContain('initialising a new PostgreSQL cluster');
    second.proc.kill('SIGKILL');
    await second.exited;

    const third = await startHekim(env);
    expect(third.output()).toContain('found a PostgreSQL left running by an earlier run');
    expect((await fetch(`${third.url}/health/ready`)).status).toBe(200);
    third.proc.kill('SIGTERM');
    expect((await third.exited).code).toBe(0);
  });

  it('runs as an unprivileged user too, with PostgreSQL under that same user', async () => {
    // As root (CI), start Hekim as `nobody`; as a normal user, as that user.
    const root = process.getuid?.() === 0;
    const uid = root
      ? Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' }))
      : process.getuid?.();
    const gid = root
      ? Number(execFileSync('id', ['-g', 'nobody'], { encoding: 'utf8' }))
      : process.getgid?.();
    const userDir = mkdtempSync(join(tmpdir(), 'hekim-user-'));
    if (root && uid !== undefined && gid !== undefined) chownSync(userDir, uid, gid);
    try {
      const app = await startHekim({ ...env, DATA_DIR: userDir }, 45_000, { uid, gid });
      expect((await fetch(`${app.url}/health/ready`)).status).toBe(200);
      const owner = execFileSync('ps', ['-o', 'uid=', '-C', 'postgres'], { encoding: 'utf8' })
        .split('\n')
        .map((l) => Number(l.trim()))
        .filter((n) => n === uid);
      expect(owner.length).toBeGreaterThan(0);
      app.proc.kill('SIGTERM');
      expect((await app.exited).code).toBe(0);
    } finally {
      rmSync(userDir, { recursive: true, force: true });
    }
  });

  it('refuses to start on a bad configuration, naming every offending variable', async () => {
    const { code, output } = await runHekim({
      ...env,
      PORT: 'eighty',
      INSTANCES: '3',
      LOG_LEVEL: 'loud',
    });
    expect(code).toBe(78);
    expect(output).toContain('PORT: must be a whole number from 0 to 65535 (got "eighty")');
    expect(output).toContain('LOG_LEVEL: must be one of');
    expect(output).toContain('REDIS_URL: is required when INSTANCES is 3');
  });

  it('refuses to start in production with missing secrets', async () => {
    const { code, output } = await runHekim({ ...env, NODE_ENV: 'production' });
    expect(code).toBe(78);
    for (const name of [
      'JWT_SECRET',
      'AUDIT_SIGNING_KEY',
      'DATA_ENCRYPTION_KEY',
      'PATIENT_DATA_MASTER_KEY',
      'PATIENT_DATA_INDEX_KEY',
      'ADMIN_EMAIL',
      'DATABASE_URL',
      'REDIS_URL',
    ]) {
      expect(output).toContain(`${name}: is required`);
    }
  });
});
