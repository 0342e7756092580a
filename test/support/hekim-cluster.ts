import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Role } from '../../src/common/auth/role';
import { authHeader, signIn, type SignedIn } from './auth';
import { type HekimProcess, startHekim } from './hekim-process';
import { createTestApp, testEnv, type TestApp, type TestDatabase } from './test-app';

export interface ClusterOptions {
  db: TestDatabase;
  redisUrl: string;
  env?: NodeJS.ProcessEnv;
}

// Several Hekim child processes sharing one database and one Redis, as in production behind
// a load balancer, plus an in-process "fixtures" app on the same database used only to create
// users (test/support/auth.ts). Every process it starts is killed by stopAll(), which tests
// call in afterAll, and by the worker's exit hook should a test crash.
export class HekimCluster {
  readonly env: NodeJS.ProcessEnv;
  readonly instances: HekimProcess[] = [];
  private fixtureApp: TestApp | undefined;
  private readonly prefix = `hekim-test:${randomBytes(6).toString('hex')}:`;

  constructor(private readonly options: ClusterOptions) {
    this.env = {
      ...testEnv(options.db, this.prefix, {
        REDIS_URL: options.redisUrl,
        HOST: '127.0.0.1',
        PORT: '0',
        // startHekim waits for the "is ready" line.
        LOG_LEVEL: 'info',
        AUTH_RATE_LIMIT_PER_MINUTE: '10000',
        DATABASE_POOL_SIZE: '10',
        ...options.env,
      }),
    };
    live.add(this);
  }

  get redisPrefix(): string {
    return this.prefix;
  }

  async start(extra: NodeJS.ProcessEnv = {}): Promise<HekimProcess> {
    const instance = await startHekim({ ...this.env, ...extra });
    this.instances.push(instance);
    return instance;
  }

  async fixtures(): Promise<TestApp> {
    this.fixtureApp ??= await createTestApp({
      db: this.options.db,
      redisPrefix: this.prefix,
      env: { ...this.env, LOG_LEVEL: 'silent', PORT: undefined, HOST: undefined },
    });
    return this.fixtureApp;
  }

  // Users come from the fixtures app (through the shared helpers, so patients carry whatever
  // the project requires of them, e.g. consent), then it is closed so that it does not act as
  // a third instance during the fault.
  async users(counts: Partial<Record<Role, number>>): Promise<Record<Role, SignedIn[]>> {
    const t = await this.fixtures();
    const out = {} as Record<Role, SignedIn[]>;
    for (const role of Object.values(Role)) {
      out[role] = [];
      const n = counts[role] ?? 0;
      // A few at a time: password hashing is the slow part.
      for (let i = 0; i < n; i += 5) {
        const batch = Math.min(5, n - i);
        out[role].push(
          ...(await Promise.all(Array.from({ length: batch }, () => signIn(t, role)))),
        );
      }
    }
    return out;
  }

  async closeFixtures(): Promise<void> {
    await this.fixtureApp?.close();
    this.fixtureApp = undefined;
  }

  killAllNow(): void {
    for (const i of this.instances) if (running(i)) i.proc.kill('SIGKILL');
  }

  // Keeps each instance's log under test-output/resilience/ (read them when a test fails).
  async stopAll(name?: string): Promise<void> {
    live.delete(this);
    if (name) {
      const dir = join(TEST_OUTPUT, 'resilience');
      mkdirSync(dir, { recursive: true });
      this.instances.forEach((i, n) => writeFileSync(join(dir, `${name}.${n}.log`), i.output()));
    }
    await this.closeFixtures().catch(() => undefined);
    await Promise.all(
      this.instances.map(async (i) => {
        if (!running(i)) return;
        i.proc.kill('SIGKILL');
        await i.exited;
      }),
    );
  }
}

const TEST_OUTPUT = join(__dirname, '..', '..', 'test-output');
const live = new Set<HekimCluster>();
process.once('exit', () => {
  for (const c of live) c.killAllNow();
});

export function running(i: HekimProcess): boolean {
  return i.proc.exitCode === null && i.proc.signalCode === null;
}

export interface ApiResponse {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

// One JSON request against a Hekim process (fetch, bounded in time).
export async function api(
  base: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; timeoutMs?: number } = {},
): Promise<ApiResponse> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(options.token ? authHeader(options.token) : {}),
      ...(options.body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
  });
  const text = await res.text();
  let body: Record<string, unknown>;
  try {
    body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    body = { text };
  }
  return { status: res.status, body, headers: res.headers };
}

// A consultation room of one doctor and one patient, created over REST: the doctor invites,
// the patient accepts.
export async function createRoom(
  base: string,
  doctor: SignedIn,
  patient: SignedIn,
): Promise<string> {
  const res = await api(base, 'POST', '/api/v1/rooms', {
    token: doctor.accessToken,
    body: { name: 'Resilience', type: 'consultation', memberIds: [patient.user.id] },
  });
  if (res.status !== 201)
    throw new Error(`room not created: ${res.status} ${JSON.stringify(res.body)}`);
  const roomId = res.body.id as string;
  const accepted = await api(base, 'POST', `/api/v1/rooms/${roomId}/accept`, {
    token: patient.accessToken,
  });
  if (accepted.status !== 200)
    throw new Error(`invitation not accepted: ${accepted.status} ${JSON.stringify(accepted.body)}`);
  return roomId;
}

// Figures a resilience test measured, printed and kept under test-output/resilience/ so that
// docs/resilience.md can be re-measured by rerunning the test.
export function report(name: string, figures: Record<string, unknown>): void {
  const dir = join(TEST_OUTPUT, 'resilience');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(figures, null, 2)}\n`);
  process.stdout.write(`resilience ${name}: ${JSON.stringify(figures)}\n`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
