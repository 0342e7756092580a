import { RTCPeerConnection } from 'werift';
import { Role } from '../../src/common/auth/role';
import { createApiClient, unwrap } from '../../packages/client/src/api/client';
import { ConsultationSession, type SessionEvents } from '../../packages/client/src/session';
import { SignalingClient } from '../../packages/client/src/signaling';
import type { PeerConnectionFactory, WebRtc } from '../../packages/client/src/webrtc';
import type { SignedIn } from '../support/auth';
import { signIn } from '../support/auth';
import { careRoom } from '../support/care';
import { startCoturn, type Coturn } from '../support/coturn';
import { HekimCluster } from '../support/hekim-cluster';
import type { HekimProcess } from '../support/hekim-process';
import { ReadyBalancer } from '../support/ready-balancer';
import { nextEvent, waitFor } from '../support/sdk-sessions';
import { createTestDatabase, deleteRedisKeys, type TestDatabase } from '../support/test-app';
import { TEST_REDIS_URL } from '../support/test-env';

const GRACE_SECONDS = 15;
const DRAIN_DELAY_SECONDS = 1;

// A rolling deploy seen from @hekim/client: two Hekim processes on one database and Redis
// behind a load balancer that routes by readiness. The patient's SDK session is on instance A
// (through the balancer), the doctor's on B; A gets SIGTERM and drains (docs/operations.md,
// "Draining a node"): readiness false, `server:draining`, its sockets cut after the drain
// delay. The SDK reconnects by itself, the balancer sends it to B, and the session resumes the
// same server session within the reconnect grace: never `ended`, the doctor never sees the
// patient leave, and the peer connection (media never goes through Hekim) carries on.
const webrtc: WebRtc = { RTCPeerConnection: RTCPeerConnection as unknown as PeerConnectionFactory };

describe('sdk: a session moves to another instance when its instance drains', () => {
  let turn: Coturn;
  let db: TestDatabase;
  let cluster: HekimCluster;
  let a: HekimProcess;
  let b: HekimProcess;
  let balancer: ReadyBalancer;
  const clients: SignalingClient[] = [];
  const sessions: ConsultationSession[] = [];

  beforeAll(async () => {
    turn = await startCoturn();
    db = await createTestDatabase();
    cluster = new HekimCluster({
      db,
      redisUrl: TEST_REDIS_URL,
      env: {
        TURN_SECRET: turn.secret,
        STUN_URLS: `stun:127.0.0.1:${turn.port}`,
        TURN_URLS: `turn:127.0.0.1:${turn.port}?transport=udp`,
        SIGNALING_RECONNECT_GRACE_SECONDS: String(GRACE_SECONDS),
        SHUTDOWN_DRAIN_DELAY_SECONDS: String(DRAIN_DELAY_SECONDS),
      },
    });
    [a, b] = await Promise.all([cluster.start(), cluster.start()]);
    balancer = new ReadyBalancer([a.url, b.url]);
    await balancer.start();
  }, 90_000);

  afterAll(async () => {
    for (const s of sessions) s.end('test over');
    for (const c of clients) c.close();
    await balancer?.stop();
    await cluster?.stopAll('sdk-drain');
    if (cluster) await deleteRedisKeys(cluster.redisPrefix);
    await db?.drop();
    await turn?.stop();
  });

  const join = async (base: string, who: SignedIn, roomId: string) => {
    const client = new SignalingClient({ url: base, token: who.accessToken });
    clients.push(client);
    await client.connect();
    const session = new ConsultationSession({
      signaling: client,
      webrtc,
      roomId,
      iceTransportPolicy: 'relay',
      statsIntervalMs: 0,
    });
    sessions.push(session);
    const states: SessionEvents['state'][] = [];
    session.on('state', (s) => states.push(s));
    return { client, session, states };
  };

  it('reconnects to the other instance within the grace and goes on with the same session', async () => {
    const fixtures = await cluster.fixtures();
    const doctor = await signIn(fixtures, Role.Doctor);
    const patient = await signIn(fixtures, Role.Patient);
    const roomId = await careRoom(fixtures, doctor, patient, { name: 'SDK drain' });
    await cluster.closeFixtures();

    const d = await join(b.url, doctor, roomId);
    const p = await join(balancer.url, patient, roomId);
    expect(balancer.routed).toEqual([a.url]);
    expect(await d.session.join()).toBe('joined');
    const connected = Promise.all([
      nextEvent(d.session, 'peer-state', (e) => e.state === 'connected'),
      nextEvent(p.session, 'peer-state', (e) => e.state === 'connected'),
    ]);
    expect(await p.session.join()).toBe('joined');
    await connected;
    const sessionId = p.session.sessionId;
    expect(d.session.sessionId).toBe(sessionId);

    const doctorSaw: string[] = [];
    d.session.on('participant-left', (e) => doctorSaw.push(`left ${e.userId}`));
    d.session.on('peer-state', (e) => doctorSaw.push(`peer ${e.state}`));
    let told = 0;
    p.client.listen('server:draining', () => told++);
    const reconnected = nextEvent(p.session, 'reconnected', () => true, GRACE_SECONDS * 1000);

    // SIGTERM: A drains and exits; the SDK finds its way to B on its own.
    const drainedAt = Date.now();
    a.proc.kill('SIGTERM');
    expect(await a.exited).toEqual({ code: 0, signal: null });
    expect(await reconnected).toEqual({ resumed: true });
    const movedMs = Date.now() - drainedAt;
    expect(movedMs).toBeLessThan(GRACE_SECONDS * 1000);
    expect(told).toBeGreaterThan(0);
    expect(balancer.routed.at(-1)).toBe(b.url);

    // The same consultation, never ended on either side.
    expect(p.session.state).toBe('joined');
    expect(p.session.sessionId).toBe(sessionId);
    expect(p.states.map((s) => s.state)).toEqual(['joining', 'joined', 'reconnecting', 'joined']);
    expect(d.states.map((s) => s.state)).toEqual(['joining', 'joined']);
    const api = createApiClient({ baseUrl: b.url, token: () => doctor.accessToken });
    const stored = unwrap(
      await api.GET('/api/v1/sessions/{id}', { params: { path: { id: sessionId! } } }),
    );
    expect(stored).toMatchObject({ id: sessionId, status: 'active', endedAt: null });

    // The peer connection held (media does not go through Hekim): data flows both ways.
    expect(doctorSaw.filter((e) => e !== 'peer connected')).toEqual([]);
    expect(p.session.peer(doctor.user.id)?.connectionState).toBe('connected');
    const atDoctor = nextEvent(d.session, 'peer-message');
    await waitFor(
      () => p.session.peer(doctor.user.id)?.send(JSON.stringify({ after: 'drain' })) === true,
    );
    expect(await atDoctor).toEqual({ userId: patient.user.id, data: { after: 'drain' } });
    const atPatient = nextEvent(p.session, 'peer-message');
    await waitFor(
      () => d.session.peer(patient.user.id)?.send(JSON.stringify({ still: 'here' })) === true,
    );
    expect(await atPatient).toEqual({ userId: doctor.user.id, data: { still: 'here' } });

    // Signaling goes on through B: chat, and a renegotiation (ICE restart) of the connection.
    const heard = nextEvent(d.session, 'chat-message');
    const sent = await p.session.sendChat({ text: 'still here' });
    expect(await heard).toMatchObject({ id: sent.id, senderId: patient.user.id });
    const ufrag = (sdp: string | undefined) => /a=ice-ufrag:(\S+)/.exec(sdp ?? '')?.[1];
    const patientPeer = p.session.peer(doctor.user.id)!;
    const before = ufrag(patientPeer.pc.localDescription?.sdp);
    patientPeer.restartIce('after the move');
    await waitFor(
      () =>
        ufrag(d.session.peer(patient.user.id)?.pc.remoteDescription?.sdp) !== before &&
        patientPeer.pc.signalingState === 'stable',
    );
    process.stdout.write(`sdk drain: reconnected on B ${movedMs} ms after SIGTERM\n`);
  }, 120_000);
});
