import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { generateSecrets } from '../../src/config/secrets';
import { runMigrations } from '../../src/infra/database/run-migrations';
import { CHART_DIR, renderChart, ROOT } from '../support/helm';
import { deleteRedisKeys } from '../support/test-app';
import {
  databaseUrl,
  TEST_DATABASE_URL,
  TEST_REDIS_URL,
  templateDatabaseName,
} from '../support/test-env';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

// Boots Hekim the way the image and the chart do: the chart's migration Job command first,
// then the Dockerfile's CMD with the Deployment's environment (production mode, external
// PostgreSQL and Redis, start-up migrations off), from a working directory laid out like the
// image's /app that the process cannot write to, as an unprivileged user when run as root.
// Only PORT/HOST (a free loopback port) and the Redis key prefix differ, so parallel test
// files never collide.
describe('deploy: the production start command', () => {
  const runAsNobody = process.getuid?.() === 0;
  const ids = runAsNobody ? { uid: 65534, gid: 65534 } : {};
  const base = mkdtempSync(join(tmpdir(), 'hekim-prod-'));
  const appDir = join(base, 'app');
  const tmp = join(base, 'tmp');
  const prefix = `hekim-test:${randomBytes(6).toString('hex')}:`;
  const dbName = `${templateDatabaseName().replace('hekim_tpl_', 'hekim_t_')}_${randomBytes(4).toString('hex')}`;
  const dbUrl = databaseUrl(dbName);
  let proc: ChildProcess | undefined;

  beforeAll(async () => {
    const admin = new Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE "${dbName}"`); // empty: the Job migrates it
    } finally {
      await admin.end();
    }
    // The image's /app: dist/, node_modules/, package.json, owned by someone else, read-only.
    for (const dir of [appDir, tmp]) spawnSync('mkdir', ['-p', dir]);
    symlinkSync(join(ROOT, 'dist'), join(appDir, 'dist'));
    symlinkSync(join(ROOT, 'node_modules'), join(appDir, 'node_modules'));
    copyFileSync(join(ROOT, 'package.json'), join(appDir, 'package.json'));
    chmodSync(base, 0o755);
    chmodSync(appDir, 0o555);
    // The pod's only writable path: the /tmp emptyDir.
    if (runAsNobody) chownSync(tmp, 65534, 65534);
  });

  afterAll(async () => {
    if (proc && proc.exitCode === null) proc.kill('SIGKILL');
    chmodSync(appDir, 0o755);
    rmSync(base, { recursive: true, force: true });
    const admin = new Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    await admin
      .query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`)
      .finally(() => admin.end());
    await deleteRedisKeys(prefix);
  });

  // The chart's secret values, as the operator's Secret would hold them.
  const secretValues: Record<string, string> = {
    ...generateSecrets(),
    DATABASE_URL: dbUrl,
    REDIS_URL: TEST_REDIS_URL,
    ADMIN_EMAIL: 'admin@hospital.example',
    ADMIN_PASSWORD: randomBytes(18).toString('base64url'),
  };
  const envOf = (container: Obj): NodeJS.ProcessEnv =>
    Object.fromEntries(
      (container.env as Obj[])
        .map((e): [string, unknown] => [
          e.name as string,
          e.value ?? secretValues[e.valueFrom.secretKeyRef.key as string],
        ])
        .filter(([, v]) => v !== undefined),
    ) as NodeJS.ProcessEnv;

  const manifests = renderChart([join(CHART_DIR, 'ci', 'production-values.yaml')]);
  const job = manifests.find((m) => m.kind === 'Job') as Obj;
  const deployment = manifests.find(
    (m) => m.kind === 'Deployment' && m.metadata.name === 'hekim',
  ) as Obj;

  const spawnInApp = (args: string[], env: NodeJS.ProcessEnv): ChildProcess =>
    spawn(process.execPath, args, {
      cwd: appDir,
      env: { PATH: process.env.PATH, HOME: appDir, TMPDIR: tmp, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...ids,
    });

  const collect = (child: ChildProcess): (() => string) => {
    let out = '';
    child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
    return () => out;
  };
  const exitOf = (child: ChildProcess): Promise<number | null> =>
    new Promise((resolve) => child.once('exit', (code) => resolve(code)));

  it('migrates with the Job command, then serves with the Deployment env and drains on SIGTERM', async () => {
    // Migration Job: tini is the image's PID 1; what it runs is `node dist/src/migrate.js`.
    const jobCommand = job.spec.template.spec.containers[0].command as string[];
    expect(jobCommand.slice(0, 3)).toEqual(['/usr/bin/tini', '--', 'node']);
    const migrate = spawnInApp(jobCommand.slice(3), envOf(job.spec.template.spec.containers[0]));
    const migrateOut = collect(migrate);
    expect(await exitOf(migrate)).toBe(0);
    expect(migrateOut()).toContain('applied');
    expect(await runMigrations(dbUrl)).toEqual([]); // nothing left: the schema is current

    const env = { ...envOf(deployment.spec.template.spec.containers[0]) };
    expect(env).toMatchObject({ NODE_ENV: 'production', DATABASE_MIGRATIONS_RUN: 'false' });
    expect(env.DATA_DIR).toBeUndefined();
    // The Dockerfile's CMD is ["node", "dist/src/main.js"] (checked in dockerfile.e2e-spec.ts).
    proc = spawnInApp(['dist/src/main.js'], {
      ...env,
      HOST: '127.0.0.1',
      PORT: '0',
      REDIS_KEY_PREFIX: prefix,
      SHUTDOWN_DRAIN_DELAY_SECONDS: '1',
    });
    const output = collect(proc);
    const exited = exitOf(proc);
    let url: string | undefined;
    for (let i = 0; i < 450 && !url && proc.exitCode === null; i++) {
      url = /"url":"(http:\/\/[^"]+)"[^\n]*is ready/.exec(output())?.[1];
      if (!url) await new Promise((r) => setTimeout(r, 100));
    }
    if (!url) throw new Error(`Hekim did not start:\n${output()}`);

    const ready = await fetch(`${url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      details: { database: { status: 'up' }, redis: { status: 'up', mode: 'redis' } },
    });
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toContain('hekim_dependency_up{dependency="database"} 1');
    expect(metrics).toContain('hekim_dependency_up{dependency="redis"} 1');
    expect((await fetch(`${url}/docs`)).status).toBe(404); // DOCS_ENABLED=false in the chart

    // The Dockerfile's HEALTHCHECK command, run as the image runs it.
    const healthcheck = /^HEALTHCHECK .* CMD (\[.*\])$/m.exec(
      readFileSync(join(ROOT, 'Dockerfile'), 'utf8').replace(/\\\n\s*/g, ' '),
    );
    const [node, ...checkArgs] = JSON.parse(healthcheck?.[1] ?? '[]') as string[];
    expect(node).toBe('node');
    const check = spawnInApp(checkArgs, { ...env, PORT: new URL(url).port });
    expect(await exitOf(check)).toBe(0);

    proc.kill('SIGTERM');
    let status = 200;
    for (let i = 0; i < 50 && status === 200; i++) {
      status = (await fetch(`${url}/health/ready`)).status;
      if (status === 200) await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toBe(503); // readiness goes false first, while the server still answers
    expect(await exited).toBe(0);
    expect(output()).toContain('stopped');
    expect(output()).not.toMatch(/EACCES|EROFS|"level":(50|60)/);
    // Nothing was written where the image is read-only.
    expect(readdirSync(appDir).sort()).toEqual(['dist', 'node_modules', 'package.json']);
  });
});
