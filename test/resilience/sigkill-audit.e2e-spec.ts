import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Client as Pg } from 'pg';
import { Role } from '../../src/common/auth/role';
import type { SignedIn } from '../support/auth';
import { api, HekimCluster, report, sleep } from '../support/hekim-cluster';
import type { HekimProcess } from '../support/hekim-process';
import { OwnedRedis } from '../support/owned-redis';
import { type Client, connectTo, request } from '../support/signaling-client';
import { createTestDatabase, type TestDatabase } from '../support/test-app';

const WORKERS = 8;

// SIGKILL of an instance in the middle of audited writes (room creations over REST, room
// joins over signaling): whatever committed has exactly one audit record, whatever did not
// left nothing behind, and the chain verifies once the instance is back.
describe('resilience: SIGKILL in the middle of audited actions', () => {
  const redis = new OwnedRedis();
  let db: TestDatabase;
  let cluster: HekimCluster;
  let a: HekimProcess;
  let b: HekimProcess;
  const sockets: Client[] = [];

  beforeAll(async () => {
    await redis.start();
    db = await createTestDatabase();
    cluster = new HekimCluster({ db, redisUrl: redis.url });
    [a, b] = await Promise.all([cluster.start(), cluster.start()]);
  }, 60_000);

  afterAll(async () => {
    for (const s of sockets) s.close();
    await cluster?.stopAll('sigkill-audit');
    await redis.stop();
    await db?.drop();
  });

  it('keeps every committed change paired with exactly one audit record', async () => {
    const users = await cluster.users({
      [Role.Doctor]: WORKERS,
      [Role.Patient]: WORKERS,
      [Role.Admin]: 1,
    });
    await cluster.closeFixtures();
    const [admin] = users[Role.Admin];

    let killed = false;
    let killedAt = 0;
    let stop = false;
    const acknowledged = { rooms: [] as string[], joins: 0, errors: [] as string[] };
    // Half the workers on A (killed), half on B (goes on throughout).
    const worker = async (doctor: SignedIn, patient: SignedIn, onA: boolean) => {
      const base = onA ? a.url : b.url;
      const socket = await connectTo(base, { token: doctor.accessToken });
      sockets.push(socket);
      while (!stop) {
        try {
          const res = await api(base, 'POST', '/api/v1/rooms', {
            token: doctor.accessToken,
            body: { name: 'Audited', type: 'consultation', memberIds: [patient.user.id] },
            timeoutMs: 5000,
          });
          if (res.status !== 201) throw new Error(`create ${res.status}`);
          const roomId = res.body.id as string;
          acknowledged.rooms.push(roomId);
          const joined = await request(socket, 'room:join', { roomId });
          if (!joined.ok) throw new Error(`join ${joined.error?.code}`);
          acknowledged.joins++;
        } catch (error) {
          // The killed instance's workers stop at their first failure after the kill.
          if (!(onA && killed))
            acknowledged.errors.push(
              `${killed ? `${Date.now() - killedAt} ms after the kill` : 'before the kill'}: ${(error as Error).message}`,
            );
          return;
        }
      }
    };
    // How long this test process itself stalled (a 5 s client timeout can be its own).
    const stalls = monitorEventLoopDelay({ resolution: 20 });
    stalls.enable();
    const loops = users[Role.Doctor].map((d, i) => worker(d, users[Role.Patient][i], i % 2 === 0));
    await sleep(3000);
    a.proc.kill('SIGKILL');
    killed = true;
    killedAt = Date.now();
    expect(await a.exited).toEqual({ code: null, signal: 'SIGKILL' });
    await sleep(1000);
    stop = true;
    await Promise.all(loops);
    stalls.disable();
    // On a failure, the surviving instance's slow requests and warnings are in the message,
    // with this process' longest stall.
    const slow = acknowledged.errors.length
      ? b
          .output()
          .split('\n')
          .filter((l) => /"level":(40|50|60)|"responseTime":\d{4,}/.test(l))
          .slice(-40)
      : [];
    expect({
      errors: acknowledged.errors,
      slow,
      testProcessMaxStallMs: acknowledged.errors.length ? Math.round(stalls.max / 1e6) : 0,
    }).toEqual({ errors: [], slow: [], testProcessMaxStallMs: 0 });

    const restarted = await cluster.start();
    const restartMs = Date.now() - killedAt;

    const pg = new Pg({ connectionString: db.url });
    await pg.connect();
    const one = async (sql: string) => Number((await pg.query<{ n: string }>(sql)).rows[0]?.n);
    try {
      const rooms = await one('SELECT count(*) AS n FROM rooms');
      // Every room has exactly one room.create record, and no record names a missing room.
      const roomsWithoutOne = await one(`
        SELECT count(*) AS n FROM rooms r WHERE (SELECT count(*) FROM audit_events e
          WHERE e.action = 'room.create' AND e.resource_id = r.id::text) <> 1`);
      const orphanCreates = await one(`
        SELECT count(*) AS n FROM audit_events e WHERE e.action = 'room.create'
          AND NOT EXISTS (SELECT 1 FROM rooms r WHERE r.id::text = e.resource_id)`);
      // Every session has one session.start; every stay one room.join (not counting resumes).
      const sessionsWithoutOne = await one(`
        SELECT count(*) AS n FROM room_sessions s WHERE (SELECT count(*) FROM audit_events e
          WHERE e.action = 'session.start' AND e.details->>'sessionId' = s.id::text) <> 1`);
      const staysWithoutOne = await one(`
        SELECT count(*) AS n FROM session_participants p WHERE (SELECT count(*) FROM audit_events e
          WHERE e.action = 'room.join' AND e.details->>'sessionId' = p.session_id::text
            AND e.actor_user_id = p.user_id AND e.details->>'resumed' IS NULL) <> 1`);
      const orphanJoins = await one(`
        SELECT count(*) AS n FROM audit_events e WHERE e.action = 'room.join'
          AND e.details->>'resumed' IS NULL AND NOT EXISTS (SELECT 1 FROM session_participants p
            WHERE p.session_id::text = e.details->>'sessionId' AND p.user_id = e.actor_user_id)`);
      const stays = await one('SELECT count(*) AS n FROM session_participants');
      // Acknowledged work is durable.
      const missingAcked = await one(
        `SELECT ${acknowledged.rooms.length} - count(*) AS n FROM rooms WHERE id::text = ANY('{${acknowledged.rooms.join(',')}}')`,
      );
      expect({
        roomsWithoutOne,
        orphanCreates,
        sessionsWithoutOne,
        staysWithoutOne,
        orphanJoins,
        missingAcked,
      }).toEqual({
        roomsWithoutOne: 0,
        orphanCreates: 0,
        sessionsWithoutOne: 0,
        staysWithoutOne: 0,
        orphanJoins: 0,
        missingAcked: 0,
      });
      expect(stays).toBeGreaterThanOrEqual(acknowledged.joins);

      const verify = await api(restarted.url, 'GET', '/api/v1/audit/verify', {
        token: admin.accessToken,
      });
      expect(verify.body).toMatchObject({ valid: true });
      report('sigkill-audit', {
        roomsCommitted: rooms,
        roomsAcknowledged: acknowledged.rooms.length,
        staysCommitted: stays,
        joinsAcknowledged: acknowledged.joins,
        roomsWithoutExactlyOneRecord: roomsWithoutOne,
        orphanRecords: orphanCreates + orphanJoins,
        staysWithoutExactlyOneRecord: staysWithoutOne,
        restartToReadyMs: restartMs,
        testProcessMaxStallMs: Math.round(stalls.max / 1e6),
        auditChainValid: verify.body.valid,
        auditChecked: verify.body.checked,
      });
    } finally {
      await pg.end();
    }
  }, 90_000);
});
