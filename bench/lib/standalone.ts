// Start-up and tear-down of the stand-alone benches (bench/booking.ts, bench/queue-fanout.ts):
// a fresh database and Redis key prefix, server-mode Hekim instances on them, a PostgreSQL
// client on the bench database and the admin's token; everything stopped, dropped and deleted
// at the end, whether the bench's body succeeded or not (and whatever part of the start-up
// did), with the instances' last output printed when it failed.
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import {
  adminToken,
  createDatabase,
  deleteRedisPrefix,
  startHekim,
  type BenchDatabase,
  type HekimInstance,
} from './hekim';
import { closeAgents } from './http';

export interface StandaloneOptions {
  // Names the Redis prefix (`hekimbench-<name>-<random>:`).
  name: string;
  // Instances of one deployment on the same database and prefix (default 1).
  instances?: number;
  // Settings for every instance, on top of bench/lib/hekim.ts's benchEnv.
  env?: Record<string, string>;
}

export interface Standalone {
  db: BenchDatabase;
  prefix: string;
  instances: HekimInstance[];
  // A client on the bench database, for seeding and checks.
  pg: Client;
  // The admin's access token on the first instance.
  admin: string;
}

export async function withStandalone<T>(
  o: StandaloneOptions,
  body: (s: Standalone) => Promise<T>,
): Promise<T> {
  const stops: (() => Promise<void>)[] = [];
  const instances: HekimInstance[] = [];
  try {
    const db = await createDatabase();
    stops.push(() => db.drop());
    const prefix = `hekimbench-${o.name}-${randomBytes(3).toString('hex')}:`;
    stops.push(() => deleteRedisPrefix(prefix));
    for (let n = 0; n < (o.instances ?? 1); n++) {
      const h = await startHekim({
        mode: 'server',
        databaseUrl: db.url,
        redisPrefix: prefix,
        env: o.env,
      });
      instances.push(h);
      stops.push(() => h.stop());
    }
    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    stops.push(() => pg.end());
    const admin = await adminToken(instances[0].url);
    return await body({ db, prefix, instances, pg, admin });
  } catch (err) {
    for (const h of instances) console.error(h.output());
    throw err;
  } finally {
    closeAgents();
    for (const stop of stops.reverse()) {
      try {
        await stop();
      } catch (err) {
        console.error(`cleanup: ${(err as Error).message}`);
      }
    }
  }
}

// Runs a stand-alone bench's `main`, setting a failing exit code on an error.
export function runMain(main: () => Promise<unknown>): void {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
