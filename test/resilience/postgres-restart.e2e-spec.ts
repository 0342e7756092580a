import { Client as Pg } from 'pg';
import { Role } from '../../src/common/auth/role';
import type { SignedIn } from '../support/auth';
import { api, HekimCluster, report, running, sleep } from '../support/hekim-cluster';
import type { HekimProcess } from '../support/hekim-process';
import { OwnedPostgres } from '../support/owned-postgres';
import { OwnedRedis } from '../support/owned-redis';
import type { TestDatabase } from '../support/test-app';

const OUTAGE_MS = 8000;
// A request may wait for the pool's connection timeout (3 s) plus one query attempt.
const FAIL_FAST_MS = 5000;

interface Sample {
  at: number;
  kind: 'valid' | 'revoked' | 'garbage' | 'write';
  status: number;
  ms: number;
  retryAfter: string | null;
  contentType: string | null;
  roomId?: string;
}

// PostgreSQL loses every backend (pg_terminate_backend), then is stopped for 8 s and started
// again, under steady traffic. Requests fail fast with 503 problem+json and Retry-After, the
// pool recovers by itself, bad tokens are never let in, and no transaction is left half done.
describe('resilience: PostgreSQL terminated and restarted under traffic', () => {
  const pg = new OwnedPostgres();
  const redis = new OwnedRedis();
  let cluster: HekimCluster;
  let a: HekimProcess;
  let traffic = false;

  beforeAll(async () => {
    await Promise.all([pg.init(), redis.start()]);
    const db: TestDatabase = { name: 'hekim', url: pg.url(), drop: () => Promise.resolve() };
    cluster = new HekimCluster({ db, redisUrl: redis.url });
    a = await cluster.start();
  }, 60_000);

  afterAll(async () => {
    traffic = false;
    await cluster?.stopAll('postgres-restart');
    await redis.stop();
    await pg.destroy();
  });

  it('answers 503 fast, never lets a bad token in, recovers without a restart', async () => {
    const users = await cluster.users({ [Role.Doctor]: 1, [Role.Patient]: 2, [Role.Admin]: 1 });
    await cluster.closeFixtures();
    const [doctor] = users[Role.Doctor];
    const [patient, leaver] = users[Role.Patient];
    const [admin] = users[Role.Admin];
    const out = await api(a.url, 'POST', '/api/v1/auth/logout', {
      token: leaver.accessToken,
      body: {},
    });
    expect(out.status).toBe(204);

    const samples: Sample[] = [];
    const liveness: number[] = [];
    const send = async (kind: Sample['kind'], who?: SignedIn): Promise<void> => {
      const at = Date.now();
      const res =
        kind === 'write'
          ? await api(a.url, 'POST', '/api/v1/rooms', {
              token: doctor.accessToken,
              body: { name: 'During', type: 'consultation', memberIds: [patient.user.id] },
              timeoutMs: 15_000,
            }).catch(() => null)
          : await api(a.url, 'GET', '/api/v1/users/me', {
              token: who?.accessToken ?? 'garbage.token.value',
              timeoutMs: 15_000,
            }).catch(() => null);
      samples.push({
        at,
        kind,
        status: res?.status ?? 0,
        ms: Date.now() - at,
        retryAfter: res?.headers.get('retry-after') ?? null,
        contentType: res?.headers.get('content-type') ?? null,
        roomId: kind === 'write' && res?.status === 201 ? (res.body.id as string) : undefined,
      });
    };
    traffic = true;
    const loop = async (kind: Sample['kind'], who?: SignedIn) => {
      while (traffic) {
        await send(kind, who);
        await sleep(100);
      }
    };
    const probe = async () => {
      while (traffic) {
        liveness.push(
          await api(a.url, 'GET', '/health/live', { timeoutMs: 2000 }).then(
            (r) => r.status,
            () => 0,
          ),
        );
        await sleep(250);
      }
    };
    const loops = Promise.all([
      loop('valid', doctor),
      loop('revoked', leaver),
      loop('garbage'),
      loop('write'),
      probe(),
    ]);

    await sleep(1500);
    const terminatedAt = Date.now();
    const terminated = await pg.terminateBackends();
    await sleep(3000);
    const stoppedAt = Date.now();
    await pg.stop();
    await sleep(OUTAGE_MS);
    await pg.start();
    const restartedAt = Date.now();

    // Recovered: five answers in a row from the database-backed route.
    let recoveredAt = 0;
    while (!recoveredAt && Date.now() - restartedAt < 30_000) {
      const last = samples.filter((s) => s.kind === 'valid' && s.at > restartedAt).slice(-5);
      if (last.length === 5 && last.every((s) => s.status === 200)) recoveredAt = last[0].at;
      else await sleep(100);
    }
    await sleep(1000);
    traffic = false;
    await loops;
    expect(recoveredAt).toBeGreaterThan(0);
    const ready = await api(a.url, 'GET', '/health/ready');
    expect(ready.status).toBe(200);

    const during = samples.filter((s) => s.at >= terminatedAt && s.at < recoveredAt);
    const unavailable = during.filter((s) => s.status === 503);
    // Nothing but success, 401 for bad tokens, or a fast 503: no 500, no hang, no 2xx for
    // a bad token.
    const unexpected = samples.filter((s) => {
      if (s.kind === 'write') return ![201, 503].includes(s.status);
      if (s.kind === 'valid') return ![200, 503].includes(s.status);
      return ![401, 503].includes(s.status);
    });
    expect(unexpected).toEqual([]);
    expect(unavailable.length).toBeGreaterThan(0);
    for (const s of unavailable) {
      expect(s.contentType).toContain('application/problem+json');
      expect(s.retryAfter).toBeTruthy();
    }
    const slowest = Math.max(...during.map((s) => s.ms));
    expect(slowest).toBeLessThan(FAIL_FAST_MS);
    expect(liveness.filter((s) => s !== 200)).toEqual([]);
    expect(running(a)).toBe(true);

    // No half-written transaction: each room has exactly one room.create record and each
    // record its room; every 201 is durable.
    const client = new Pg({ connectionString: pg.url() });
    await client.connect();
    const one = async (sql: string, params: unknown[] = []) =>
      Number((await client.query<{ n: string }>(sql, params)).rows[0]?.n);
    try {
      const roomsWithoutOne = await one(`
        SELECT count(*) AS n FROM rooms r WHERE (SELECT count(*) FROM audit_events e
          WHERE e.action = 'room.create' AND e.resource_id = r.id::text) <> 1`);
      const orphanRecords = await one(`
        SELECT count(*) AS n FROM audit_events e WHERE e.action = 'room.create'
          AND NOT EXISTS (SELECT 1 FROM rooms r WHERE r.id::text = e.resource_id)`);
      const created = samples.flatMap((s) => (s.roomId ? [s.roomId] : []));
      const durable = await one('SELECT count(*) AS n FROM rooms WHERE id = ANY($1::uuid[])', [
        created,
      ]);
      expect({ roomsWithoutOne, orphanRecords, lost: created.length - durable }).toEqual({
        roomsWithoutOne: 0,
        orphanRecords: 0,
        lost: 0,
      });
      const verify = await api(a.url, 'GET', '/api/v1/audit/verify', { token: admin.accessToken });
      expect(verify.body).toMatchObject({ valid: true });

      const byKind = (k: Sample['kind']) => {
        const all = samples.filter((s) => s.kind === k);
        const counts: Record<string, number> = {};
        for (const s of all) counts[s.status] = (counts[s.status] ?? 0) + 1;
        return counts;
      };
      report('postgres-restart', {
        backendsTerminated: terminated,
        terminateToStopMs: stoppedAt - terminatedAt,
        outageMs: restartedAt - stoppedAt,
        recoveredAfterPostgresBackMs: recoveredAt - restartedAt,
        requests: samples.length,
        status: {
          validToken: byKind('valid'),
          revokedToken: byKind('revoked'),
          garbageToken: byKind('garbage'),
          roomCreate: byKind('write'),
        },
        slowestAnswerDuringFaultMs: slowest,
        livenessFailures: liveness.filter((s) => s !== 200).length,
        roomsWithoutExactlyOneRecord: roomsWithoutOne,
        orphanRecords,
        acknowledgedRoomsLost: created.length - durable,
        auditChainValid: verify.body.valid,
        hekimRestarts: 0,
      });
    } finally {
      await client.end();
    }
  }, 90_000);
});
