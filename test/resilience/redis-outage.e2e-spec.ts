import { Role } from '../../src/common/auth/role';
import { InstanceLiveness } from '../../src/modules/sessions/instance-liveness.service';
import type { SignedIn } from '../support/auth';
import { api, createRoom, HekimCluster, report, running, sleep } from '../support/hekim-cluster';
import type { HekimProcess } from '../support/hekim-process';
import { OwnedRedis } from '../support/owned-redis';
import { type Client, connectTo, Inbox, request } from '../support/signaling-client';
import { createTestDatabase, type TestDatabase } from '../support/test-app';

const OUTAGE_MS = 15_000;
const GRACE_SECONDS = 5;

// Redis stopped for 15 s under two instances holding a live consultation (doctor on one,
// patient on the other). Liveness never follows Redis; what needs Redis fails closed (login
// rate limit, token checks on new requests) or open (general rate limit, signaling event
// limit), and the consultation survives: same sockets, same session, relay resumes.
describe('resilience: Redis outage under two instances', () => {
  const redis = new OwnedRedis();
  let db: TestDatabase;
  let cluster: HekimCluster;
  let a: HekimProcess;
  let b: HekimProcess;
  const sockets: Client[] = [];
  let probing = false;

  beforeAll(async () => {
    await redis.start();
    db = await createTestDatabase();
    cluster = new HekimCluster({
      db,
      redisUrl: redis.url,
      env: { SIGNALING_RECONNECT_GRACE_SECONDS: String(GRACE_SECONDS) },
    });
    [a, b] = await Promise.all([cluster.start(), cluster.start()]);
  }, 60_000);

  afterAll(async () => {
    probing = false;
    for (const s of sockets) s.close();
    await cluster?.stopAll('redis-outage');
    await redis.stop();
    await db?.drop();
  });

  async function join(base: string, who: SignedIn, roomId: string) {
    const socket = await connectTo(base, { token: who.accessToken });
    sockets.push(socket);
    const inbox = new Inbox(socket);
    const disconnects: string[] = [];
    socket.on('disconnect', (reason) => disconnects.push(reason));
    const joined = await request(socket, 'room:join', { roomId });
    expect(joined.ok).toBe(true);
    return { socket, inbox, disconnects, sessionId: joined.data?.sessionId as string };
  }

  it('keeps liveness, processes, sockets and the session; readiness and relay come back', async () => {
    const users = await cluster.users({ [Role.Doctor]: 1, [Role.Patient]: 2 });
    await cluster.closeFixtures();
    const [doctor] = users[Role.Doctor];
    const [patient, other] = users[Role.Patient];
    const roomId = await createRoom(a.url, doctor, patient);
    const doc = await join(a.url, doctor, roomId);
    const pat = await join(b.url, patient, roomId);
    expect(pat.sessionId).toBe(doc.sessionId);

    let offers = 0;
    const relay = async (): Promise<boolean> => {
      const sdp = `v=0 offer-${++offers}`;
      const ack = await request(doc.socket, 'call:offer', { roomId, to: patient.user.id, sdp });
      if (!ack.ok) return false;
      return pat.inbox
        .next('call:offer', (p) => p.sdp === sdp, 1500)
        .then(() => true)
        .catch(() => false);
    };
    expect(await relay()).toBe(true);

    // Probes every 250 ms on both instances for the whole test.
    const probes: { at: number; instance: string; live: number; ready: number }[] = [];
    probing = true;
    const probe = async (name: string, base: string) => {
      while (probing) {
        const at = Date.now();
        const [live, ready] = await Promise.all(
          ['/health/live', '/health/ready'].map((p) =>
            api(base, 'GET', p, { timeoutMs: 3000 }).then(
              (r) => r.status,
              () => 0,
            ),
          ),
        );
        probes.push({ at, instance: name, live, ready });
        await sleep(Math.max(0, 250 - (Date.now() - at)));
      }
    };
    const probing$ = Promise.all([probe('a', a.url), probe('b', b.url)]);

    await sleep(500);
    const stoppedAt = Date.now();
    await redis.stop();

    // During the outage, each Redis-dependent check, as docs/resilience.md states.
    await sleep(2500);
    const during = {
      // Credential rate limit fails closed.
      login: await api(a.url, 'POST', '/api/v1/auth/login', {
        body: { email: other.user.email, password: other.password },
      }),
      // Revocation, status and role are read from PostgreSQL: protected routes keep working.
      protectedValid: await api(b.url, 'GET', '/api/v1/users/me', { token: doctor.accessToken }),
      protectedGarbage: await api(b.url, 'GET', '/api/v1/users/me', { token: 'not-a-token' }),
      // The general rate limit fails open: a public route still answers.
      publicRoute: await api(a.url, 'GET', '/api/v1/audit/public-key'),
    };
    expect(during.login.status).toBe(503);
    expect(during.login.body.code).toBe('UNAVAILABLE');
    expect(during.login.headers.get('retry-after')).toBeTruthy();
    expect(during.protectedValid.status).toBe(200);
    expect(during.protectedGarbage.status).toBe(401);
    expect(during.publicRoute.status).toBe(200);
    // A new socket is authenticated against PostgreSQL (its per-user cap, counted in Redis,
    // fails open).
    const refused = await connectTo(b.url, { token: other.accessToken }).then(
      (s) => {
        s.close();
        return 'CONNECTED';
      },
      (err: Error) => err.message,
    );
    expect(refused).toBe('CONNECTED');
    // Signaling events still get an answer (their rate limit fails open); a relay to another
    // instance cannot cross without Redis, the same-instance path is untouched.
    const during$ = await request(doc.socket, 'call:offer', {
      roomId,
      to: patient.user.id,
      sdp: 'v=0 during',
    });
    expect(during$.error?.code).not.toBe('RATE_LIMITED');

    await sleep(OUTAGE_MS - (Date.now() - stoppedAt));
    await redis.start();
    const restoredAt = Date.now();

    // Readiness of both instances back (within 30 s), then relay across instances.
    const readyAgain: Record<string, number> = {};
    while (Object.keys(readyAgain).length < 2 && Date.now() - restoredAt < 30_000) {
      for (const p of probes)
        if (p.at > restoredAt && p.ready === 200) readyAgain[p.instance] ??= p.at - restoredAt;
      await sleep(100);
    }
    expect(Object.keys(readyAgain).sort()).toEqual(['a', 'b']);
    let relayBackMs = -1;
    while (Date.now() - restoredAt < 30_000) {
      if (await relay()) {
        relayBackMs = Date.now() - restoredAt;
        break;
      }
    }
    expect(relayBackMs).toBeGreaterThanOrEqual(0);

    // Redis came back empty (no instance heartbeats): no instance may take the other for dead
    // and drop its clients. Outlast the confirmation window and a reconnect grace.
    const settleMs = InstanceLiveness.MISSING_CONFIRM_MS + GRACE_SECONDS * 1000 + 3000;
    await sleep(Math.max(0, settleMs - (Date.now() - restoredAt)));
    expect(await relay()).toBe(true);
    const sessionRes = await api(a.url, 'GET', `/api/v1/sessions/${doc.sessionId}`, {
      token: doctor.accessToken,
    });
    expect(sessionRes.status).toBe(200);
    const session = sessionRes.body as {
      status: string;
      participants: { userId: string; leftAt: string | null }[];
    };
    expect(session.status).toBe('active');
    expect(
      session.participants
        .filter((p) => p.leftAt === null)
        .map((p) => p.userId)
        .sort(),
    ).toEqual([doctor.user.id, patient.user.id].sort());

    probing = false;
    await probing$;
    const nonLive = probes.filter((p) => p.live !== 200);
    const unready = probes.filter((p) => p.ready !== 200);
    expect(nonLive).toEqual([]);
    expect(running(a) && running(b)).toBe(true);
    expect(doc.disconnects).toEqual([]);
    expect(pat.disconnects).toEqual([]);

    report('redis-outage', {
      outageMs: restoredAt - stoppedAt,
      probes: probes.length,
      livenessFailures: nonLive.length,
      readinessFalseProbes: unready.length,
      readinessBackAfterRedisMs: readyAgain,
      relayBackAfterRedisMs: relayBackMs,
      processExits: 0,
      socketDisconnects: doc.disconnects.length + pat.disconnects.length,
      sessionStatus: session.status,
      duringOutage: {
        login: during.login.status,
        protectedRouteValidToken: during.protectedValid.status,
        protectedRouteInvalidToken: during.protectedGarbage.status,
        publicRoute: during.publicRoute.status,
        newSocket: refused,
        relayAck: during$.ok ? 'ok' : during$.error?.code,
      },
    });
  }, 90_000);
});
