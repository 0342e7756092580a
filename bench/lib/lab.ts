// Everything the scenarios share in one run: the database, Redis prefix, Hekim instances and
// the bare baseline server, started lazily and all stopped/dropped by close().
import { randomBytes } from 'node:crypto';
import {
  adminToken,
  createDatabase,
  createRoom,
  createUsers,
  deleteRedisPrefix,
  grantConsent,
  loginAll,
  pool,
  startHekim,
  type BenchDatabase,
  type BenchUser,
  type HekimInstance,
  type HekimOptions,
} from './hekim';
import { type BareServer, startBare } from './procs';
import type { PairSpec } from './signaling';

export interface Settings {
  // Smoke mode: one short round per scenario, small counts (for the harness' own test).
  quick: boolean;
  rounds: number;
  seconds: number;
}

export interface SignalingPair {
  roomId: string;
  doctor: BenchUser & { token: string };
  patient: BenchUser & { token: string };
}

export class Lab {
  private readonly stops: (() => Promise<void>)[] = [];
  private db: BenchDatabase | undefined;
  readonly redisPrefix = `hekimbench:${randomBytes(3).toString('hex')}:`;
  private instances: HekimInstance[] = [];
  private bare: BareServer | undefined;
  private admins = new Map<string, string>();
  // Shared between scenarios: the bare relay's saturation rate (scenario 1 → 2).
  readonly shared: Record<string, number> = {};
  private readonly memos = new Map<string, Promise<unknown>>();

  constructor(
    readonly settings: Settings,
    readonly log: (msg: string) => void,
  ) {}

  async database(): Promise<BenchDatabase> {
    if (!this.db) {
      this.db = await createDatabase();
      const db = this.db;
      this.stops.push(() => db.drop());
      this.stops.push(() => deleteRedisPrefix(this.redisPrefix));
    }
    return this.db;
  }

  // Server-mode instance n (0 or 1) on the shared database and Redis prefix.
  async hekim(n = 0, env: Record<string, string> = {}): Promise<HekimInstance> {
    while (this.instances.length <= n) {
      const db = await this.database();
      this.log(`  starting Hekim (server mode, instance ${this.instances.length + 1})`);
      const h = await startHekim({
        mode: 'server',
        databaseUrl: db.url,
        redisPrefix: this.redisPrefix,
        env,
      });
      this.instances.push(h);
      this.stops.push(() => h.stop());
    }
    return this.instances[n];
  }

  async start(o: HekimOptions): Promise<HekimInstance> {
    const h = await startHekim(o);
    this.stops.push(() => h.stop());
    return h;
  }

  async bareServer(): Promise<BareServer> {
    if (!this.bare) {
      this.bare = await startBare();
      const b = this.bare;
      this.stops.push(() => b.stop());
    }
    return this.bare;
  }

  async admin(base: string): Promise<string> {
    let token = this.admins.get(base);
    if (!token) {
      token = await adminToken(base);
      this.admins.set(base, token);
    }
    return token;
  }

  // Doctor/patient pairs with a consultation room each (the patient accepted its invitation),
  // signed in, consent given.
  async pairs(base: string, count: number): Promise<SignalingPair[]> {
    const admin = await this.admin(base);
    const doctors = await createUsers(base, admin, 'doctor', count);
    const patients = await createUsers(base, admin, 'patient', count);
    const dt = await loginAll(base, doctors);
    const pt = await loginAll(base, patients);
    const out: SignalingPair[] = [];
    await pool(count, 4, async (i) => {
      await grantConsent(base, pt[i].accessToken);
      const roomId = await createRoom(
        base,
        dt[i].accessToken,
        [patients[i].id],
        [pt[i].accessToken],
      );
      out[i] = {
        roomId,
        doctor: { ...doctors[i], token: dt[i].accessToken },
        patient: { ...patients[i], token: pt[i].accessToken },
      };
    });
    return out;
  }

  // One value per key for the whole run (e.g. pairs opened once and reused by scenarios).
  memo<T>(key: string, make: () => Promise<T>): Promise<T> {
    let p = this.memos.get(key) as Promise<T> | undefined;
    if (!p) {
      p = make();
      this.memos.set(key, p);
    }
    return p;
  }

  onClose(stop: () => Promise<void>): void {
    this.stops.push(stop);
  }

  async close(): Promise<void> {
    for (const stop of this.stops.reverse()) {
      try {
        await stop();
      } catch (err) {
        this.log(`  cleanup: ${(err as Error).message}`);
      }
    }
  }
}

// Pair specs for Hekim (tokens) on the given bases (a on baseA, b on baseB).
export function hekimSpecs(pairs: SignalingPair[], baseA: string, baseB = baseA): PairSpec[] {
  return pairs.map((p) => ({
    roomId: p.roomId,
    a: { id: p.doctor.id, auth: { token: p.doctor.token }, base: baseA },
    b: { id: p.patient.id, auth: { token: p.patient.token }, base: baseB },
  }));
}

// The same pairs on the bare server (it takes the user id as given).
export function bareSpecs(pairs: SignalingPair[], base: string): PairSpec[] {
  return pairs.map((p) => ({
    roomId: p.roomId,
    a: { id: p.doctor.id, auth: { userId: p.doctor.id }, base },
    b: { id: p.patient.id, auth: { userId: p.patient.id }, base },
  }));
}
