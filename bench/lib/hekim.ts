// Hekim under test: the built app (`npm run build`) as a child process, on a fresh database
// (created here, dropped at the end) and its own Redis key prefix; plus the REST calls the
// scenarios need to set up users, rooms and consents.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import Redis from 'ioredis';
import { generateSecrets } from '../../src/config/secrets';
import { expectOk, http } from './http';

export const MAIN = resolve(process.cwd(), 'dist', 'src', 'main.js');
export const ADMIN_EMAIL = 'bench-admin@example.test';
export const ADMIN_PASSWORD = `Bench-${randomBytes(9).toString('base64url')}`;
export const PASSWORD = `Pw-${randomBytes(12).toString('base64url')}`;

const PG_ADMIN = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface BenchDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

export async function createDatabase(): Promise<BenchDatabase> {
  const name = `hekim_bench_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: PG_ADMIN });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(PG_ADMIN);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    async drop() {
      const c = new Client({ connectionString: PG_ADMIN });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await c.end();
    },
  };
}

export async function deleteRedisPrefix(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await redis.del(...keys);
  } while (cursor !== '0');
  redis.disconnect();
}

export interface HekimInstance {
  proc: ChildProcess;
  url: string;
  pid: number;
  // The last 20 kB the process wrote (logs are at "warn").
  output(): string;
  stop(): Promise<void>;
}

export type HekimMode = 'server' | 'embedded';

// One set of secrets per bench run: instances of one deployment share them.
const SECRETS = generateSecrets();

export interface HekimOptions {
  mode: HekimMode;
  databaseUrl?: string;
  redisPrefix?: string;
  env?: Record<string, string>;
  // Extra node flags, e.g. ['--cpu-prof', '--cpu-prof-dir=…'] (BENCH_CPU_PROF=<dir> sets that).
  nodeArgs?: string[];
}

// Settings for every run. The per-socket/user signaling and per-IP credential budgets are
// raised so that a load generator on one loopback address is not simply refused: the checks
// still run on every event and request, only their thresholds are higher.
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

export function benchEnv(o: HekimOptions, dataDir: string, port: number): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'development',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    SIGNALING_EVENTS_PER_SECOND: '10000',
    // Scenario 4 holds thousands of sockets for a few users (a user may have many devices).
    SIGNALING_MAX_SOCKETS_PER_USER: '100000',
    AUTH_RATE_LIMIT_PER_MINUTE: '10000',
    // Scenario 5's callers initiate far more than the 10 calls a minute a person is allowed.
    CALL_INITIATE_RATE_PER_MINUTE: '1000',
    STUN_URLS: 'stun:127.0.0.1:3478',
    ...SECRETS,
    ...(o.mode === 'server'
      ? {
          DATABASE_URL: o.databaseUrl,
          REDIS_URL,
          REDIS_KEY_PREFIX: o.redisPrefix ?? 'hekimbench:',
        }
      : {}),
    ...o.env,
  };
}

export async function startHekim(o: HekimOptions, timeoutMs = 90_000): Promise<HekimInstance> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first.`);
  const dataDir = mkdtempSync(join(tmpdir(), 'hekim-bench-'));
  const port = await freePort();
  const profDir = process.env.BENCH_CPU_PROF;
  // BENCH_NODE_ARGS: extra Node flags for every Hekim process (e.g. GC settings to compare).
  const extraArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
  const nodeArgs = [
    ...extraArgs,
    ...(o.nodeArgs ?? []),
    ...(profDir ? ['--cpu-prof', `--cpu-prof-dir=${resolve(profDir)}`] : []),
  ];
  const proc = spawn(process.execPath, [...nodeArgs, MAIN], {
    env: benchEnv(o, dataDir, port),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (c: Buffer): void => {
    output = (output + c.toString()).slice(-20_000);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  let gone = false;
  const exited = new Promise<void>((r) =>
    proc.once('exit', () => {
      gone = true;
      r();
    }),
  );
  // Logs are at "warn" (no per-request lines), so readiness is polled, not read from the log.
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (gone) throw new Error(`Hekim exited before it was ready:\n${output}`);
    if (Date.now() > deadline) {
      proc.kill('SIGTERM');
      throw new Error(`Hekim did not become ready in ${timeoutMs} ms:\n${output}`);
    }
    const ready = await http('GET', `${url}/health/ready`, { timeoutMs: 2000 }).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ready) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    proc,
    url,
    pid: proc.pid ?? 0,
    output: () => output,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), 30_000);
        await exited;
        clearTimeout(t);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

// Resident set size of a process, from /proc (bytes).
export function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(status);
  return m ? Number(m[1]) * 1024 : Number.NaN;
}

// A gauge or counter of Hekim's /metrics (prom-client), summed over its label sets.
export async function metric(baseUrl: string, name: string): Promise<number> {
  const res = await http<string>('GET', `${baseUrl}/metrics`);
  const text = typeof res.body === 'string' ? res.body : '';
  let sum = 0;
  let found = false;
  for (const line of text.split('\n')) {
    if (line.startsWith(name + ' ') || line.startsWith(name + '{')) {
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
      found = true;
    }
  }
  return found ? sum : Number.NaN;
}

export async function metricsText(baseUrl: string): Promise<string> {
  const res = await http<string>('GET', `${baseUrl}/metrics`);
  return typeof res.body === 'string' ? res.body : '';
}

// ---- REST set-up ----

export interface Tokens {
  accessToken: string;
  refreshToken: string;
}

export interface BenchUser {
  id: string;
  email: string;
  role: string;
}

export async function login(
  base: string,
  email: string,
  password: string,
  localAddress?: string,
): Promise<Tokens> {
  return expectOk(
    `login ${email}`,
    http<Tokens>('POST', `${base}/api/v1/auth/login`, {
      body: { email, password },
      localAddress,
    }),
    [200],
  );
}

export async function adminToken(base: string): Promise<string> {
  return (await login(base, ADMIN_EMAIL, ADMIN_PASSWORD)).accessToken;
}

// The i-th of the loopback addresses (127.0.0.2 … 127.0.0.201) set-up requests come from, as
// many clients would (docs/performance.md).
export const benchAddress = (i: number): string => `127.0.0.${2 + (i % 200)}`;

export async function createUsers(
  base: string,
  admin: string,
  role: 'doctor' | 'patient' | 'admin',
  count: number,
  label: string = role,
): Promise<BenchUser[]> {
  const out: BenchUser[] = [];
  const tag = randomBytes(3).toString('hex');
  await pool(count, 4, async (i) => {
    const email = `${label}-${tag}-${i}@example.test`;
    const user = await expectOk(
      'create user',
      http<{ id: string }>('POST', `${base}/api/v1/users`, {
        token: admin,
        body: { email, password: PASSWORD, displayName: `${label} ${i}`, role },
        // Spread over loopback addresses as the logins are: the per-address limit of a route
        // (600 requests a minute) would refuse a ramp's hundreds of accounts from one address.
        localAddress: benchAddress(i),
      }),
    );
    out[i] = { id: user.id, email, role };
  });
  return out;
}

export async function loginAll(base: string, users: BenchUser[]): Promise<Tokens[]> {
  const out: Tokens[] = [];
  await pool(users.length, 4, async (i) => {
    out[i] = await login(base, users[i].email, PASSWORD, benchAddress(i));
  });
  return out;
}

// Grants the `telemedicine` consent when the deployment has the consent API (ignored where
// it does not exist yet).
export async function grantConsent(
  base: string,
  token: string,
  localAddress?: string,
): Promise<void> {
  const me = await http<{ required?: unknown[] }>('GET', `${base}/api/v1/consents/me`, {
    token,
    localAddress,
  });
  if (me.status === 404 || me.status === 405) return;
  if (me.status !== 200) throw new Error(`GET /consents/me: HTTP ${me.status}`);
  for (const item of me.body?.required ?? []) {
    const entry =
      typeof item === 'string'
        ? { purpose: item }
        : (item as { purpose?: string; version?: string });
    if (entry.purpose !== 'telemedicine') continue;
    await expectOk(
      'consent',
      http('POST', `${base}/api/v1/consents`, {
        token,
        localAddress,
        body: { purpose: 'telemedicine', version: entry.version },
      }),
    );
  }
}

// A room of the doctor's with `memberIds` in it. Patients are only invited to a room a
// clinician makes; `acceptWith` are the invited patients' tokens, each of which accepts, as
// the patient's app would (which makes the care relationships a doctor's ring needs).
export async function createRoom(
  base: string,
  doctorToken: string,
  memberIds: string[],
  acceptWith: string[] = [],
  options: { type?: 'consultation' | 'group'; maxParticipants?: number } = {},
): Promise<string> {
  const room = await expectOk(
    'create room',
    http<{ id: string }>('POST', `${base}/api/v1/rooms`, {
      token: doctorToken,
      body: {
        name: 'bench',
        type: options.type ?? 'consultation',
        memberIds,
        ...(options.maxParticipants ? { maxParticipants: options.maxParticipants } : {}),
      },
    }),
  );
  for (const token of acceptWith)
    await expectOk(
      'accept invitation',
      http('POST', `${base}/api/v1/rooms/${room.id}/accept`, { token }),
      [200],
    );
  return room.id;
}

// Runs `work(i)` for i in 0..count-1 with at most `width` at a time.
export async function pool(
  count: number,
  width: number,
  work: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, count) }, async () => {
      while (next < count) await work(next++);
    }),
  );
}
