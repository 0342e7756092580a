import { readFile } from 'node:fs/promises';
import { RTCPeerConnection } from 'werift';
import { Role } from '../../src/common/auth/role';
import { createApiClient, unwrap } from '../../packages/client/src/api/client';
import { CallClient, type Call } from '../../packages/client/src/calls';
import { precallCheck } from '../../packages/client/src/precall';
import { ConsultationSession } from '../../packages/client/src/session';
import { SignalingClient } from '../../packages/client/src/signaling';
import type { PeerConnectionFactory, WebRtc } from '../../packages/client/src/webrtc';
import { signIn } from '../support/auth';
import { careRoom } from '../support/care';
import { startCoturn, type Coturn } from '../support/coturn';
import { nextEvent as next, waitFor } from '../support/sdk-sessions';
import { createTestApp, type TestApp } from '../support/test-app';

// The SDK's core outside a browser: two @hekim/client sessions in Node, with werift (a
// WebRTC implementation in TypeScript) as their RTCPeerConnection, through a real Hekim and
// a real coturn. Media is forced through the relay (iceTransportPolicy 'relay'), so the
// connection proves the TURN credentials Hekim issued, and the data channel carries messages
// end to end. Then the signaling connection drops and the session resumes within the grace.
const webrtc: WebRtc = { RTCPeerConnection: RTCPeerConnection as unknown as PeerConnectionFactory };

describe('sdk: two sessions in Node (werift) through Hekim and coturn', () => {
  let turn: Coturn;
  let t: TestApp;
  let base: string;
  const clients: SignalingClient[] = [];
  const sessions: ConsultationSession[] = [];

  beforeAll(async () => {
    turn = await startCoturn();
    t = await createTestApp({
      listen: true,
      env: {
        TURN_SECRET: turn.secret,
        STUN_URLS: `stun:127.0.0.1:${turn.port}`,
        TURN_URLS: `turn:127.0.0.1:${turn.port}?transport=udp`,
        SIGNALING_RECONNECT_GRACE_SECONDS: '15',
      },
    });
    const url = new URL(await t.app.getUrl());
    url.hostname = '127.0.0.1';
    base = url.origin;
  });
  afterAll(async () => {
    for (const s of sessions) s.end('test over');
    for (const c of clients) c.close();
    await t?.close();
    await turn?.stop();
  });

  const signaling = async (token: string): Promise<SignalingClient> => {
    const client = new SignalingClient({ url: base, token });
    clients.push(client);
    await client.connect();
    return client;
  };
  const session = (client: SignalingClient, roomId: string): ConsultationSession => {
    const s = new ConsultationSession({
      signaling: client,
      webrtc,
      roomId,
      iceTransportPolicy: 'relay',
      statsIntervalMs: 0,
    });
    sessions.push(s);
    if (process.env.SDK_DEBUG) {
      s.on('log', (e) => console.log(roomId.slice(0, 4), e.message));
      s.on('error', (e) => console.log('ERR', String(e.error)));
      s.on('peer-state', (e) => console.log('STATE', e.userId.slice(0, 4), e.state));
    }
    return s;
  };

  it('connects a doctor and a patient through the relay, exchanges data, and resumes after a signaling drop', async () => {
    const doctor = await signIn(t, Role.Doctor);
    const patient = await signIn(t, Role.Patient);
    const roomId = await careRoom(t, doctor, patient, { name: 'SDK consultation' });

    const d = session(await signaling(doctor.accessToken), roomId);
    const pClient = await signaling(patient.accessToken);
    const p = session(pClient, roomId);
    expect(await d.join()).toBe('joined');
    const doctorConnected = next(d, 'peer-state', (e) => e.state === 'connected');
    const patientConnected = next(p, 'peer-state', (e) => e.state === 'connected');
    expect(await p.join()).toBe('joined');
    await Promise.all([doctorConnected, patientConnected]);
    expect(p.participants.map((x) => x.userId)).toEqual([doctor.user.id]);

    // Data end to end over the negotiated channel, once it is open on both sides.
    const hello = next(d, 'peer-message');
    await waitFor(
      () => p.peer(doctor.user.id)?.send(JSON.stringify({ muted: { audio: true } })) === true,
    );
    expect(await hello).toEqual({ userId: patient.user.id, data: { muted: { audio: true } } });

    // Both allocated relays on coturn with the credentials Hekim issued (`<expiry>:<userId>`).
    const log = await readFile(turn.logFile, 'utf8');
    for (const user of [doctor, patient]) {
      expect(log).toMatch(new RegExp(`user <\\d+:${user.user.id}>.*ALLOCATE processed, success`));
    }

    // The patient's signaling connection drops (transport closed): the session is not ended,
    // it rejoins within the grace and resumes the same server session; media never stopped.
    const sessionId = p.sessionId;
    const reconnecting = next(p, 'state', (e) => e.state === 'reconnecting');
    const reconnected = next(p, 'reconnected');
    pClient.socket.io.engine.close();
    await reconnecting;
    expect(await reconnected).toEqual({ resumed: true });
    expect(p.state).toBe('joined');
    expect(p.sessionId).toBe(sessionId);
    const after = next(p, 'peer-message');
    await waitFor(() => d.peer(patient.user.id)?.send(JSON.stringify({ back: true })) === true);
    expect(await after).toEqual({ userId: doctor.user.id, data: { back: true } });

    // Chat through the session.
    const heard = next(d, 'chat-message');
    const sent = await p.sendChat({ text: 'Merhaba' });
    expect(await heard).toMatchObject({ id: sent.id, text: 'Merhaba', senderId: patient.user.id });

    // An ICE restart (what a failed connection triggers): new ICE credentials on both sides,
    // negotiated by perfect negotiation without glare. (werift 0.25 itself does not carry the
    // data channel over to the new ICE generation, so the media after a restart is a browser
    // matter; docs/sdk.md, "Tested".)
    const ufrag = (sdp: string | undefined) => /a=ice-ufrag:(\S+)/.exec(sdp ?? '')?.[1];
    const doctorPeer = d.peer(patient.user.id)!;
    const before = ufrag(doctorPeer.pc.localDescription?.sdp);
    doctorPeer.restartIce('test');
    await waitFor(
      () =>
        ufrag(doctorPeer.pc.localDescription?.sdp) !== before &&
        ufrag(p.peer(doctor.user.id)?.pc.remoteDescription?.sdp) !== before &&
        doctorPeer.pc.signalingState === 'stable',
    );
    expect(doctorPeer.iceRestarts).toBe(1);
    expect(p.state).toBe('joined');

    await p.leave();
    expect(p.state).toBe('ended');
  }, 90_000);

  it('rings, answers and connects a direct call; the caller sees it active, the quality is reported as call:stats', async () => {
    const doctor = await signIn(t, Role.Doctor);
    const patient = await signIn(t, Role.Patient);
    await careRoom(t, doctor, patient);
    const options = { webrtc, iceTransportPolicy: 'relay' as const, statsIntervalMs: 0 };
    const caller = new CallClient(await signaling(doctor.accessToken), options);
    const callee = new CallClient(await signaling(patient.accessToken), options);

    const ringing = new Promise<Call>((resolve) => callee.on('incoming', resolve));
    const call = await caller.start([patient.user.id], 'audio');
    expect(call.state.phase).toBe('outgoing');
    const incoming = await ringing;
    expect(incoming.state.phase).toBe('incoming');
    expect(incoming.incoming?.from).toBe(doctor.user.id);

    const callerSession = new Promise<ConsultationSession>((resolve) =>
      call.on('session', resolve),
    );
    const calleeSession = await incoming.accept();
    const cs = await callerSession;
    sessions.push(cs, calleeSession);
    await Promise.all([
      cs.state === 'joined' ? undefined : next(cs, 'state', (e) => e.state === 'joined'),
      next(calleeSession, 'peer-state', (e) => e.state === 'connected'),
    ]);
    expect(call.state.phase).toBe('active');
    expect(incoming.state.phase).toBe('active');
    await waitFor(() => cs.peer(patient.user.id)?.connectionState === 'connected');

    // Two readings: the quality needs a previous one for loss and bitrate.
    await cs.sampleQuality();
    await new Promise((r) => setTimeout(r, 200));
    const level = await cs.sampleQuality();
    expect(['good', 'fair', 'poor']).toContain(level);
    // The server kept the reading (`call:stats`): the call's quality, read with the typed REST client.
    const api = createApiClient({ baseUrl: base, token: () => doctor.accessToken });
    const stored = unwrap(
      await api.GET('/api/v1/calls/{id}', { params: { path: { id: call.callId } } }),
    );
    expect(stored.quality?.reports).toBeGreaterThanOrEqual(1);

    const ended = new Promise<void>((resolve) =>
      incoming.on('state', (s) => s.phase === 'ended' && resolve()),
    );
    await call.hangUp();
    await ended;
    expect(call.state.phase).toBe('ended');
    expect(calleeSession.state).toBe('ended');
    caller.close();
    callee.close();
  }, 90_000);

  it('pre-call check: signaling, a TURN allocation with fresh credentials and a loopback through the relay; no devices in Node', async () => {
    // TURN credentials are for members of an open consultation (a patient before their
    // appointment is a member of its room).
    const doctor = await signIn(t, Role.Doctor);
    const patient = await signIn(t, Role.Patient);
    await careRoom(t, doctor, patient);
    const api = createApiClient({ baseUrl: base, token: () => patient.accessToken });
    const report = await precallCheck({
      webrtc,
      signaling: await signaling(patient.accessToken),
      iceServers: async () => unwrap(await api.GET('/api/v1/ice-servers')).iceServers,
      timeoutMs: 10_000,
    });
    const byName = Object.fromEntries(report.checks.map((c) => [c.name, c]));
    expect(byName.signaling).toMatchObject({ status: 'pass' });
    expect(byName.turn).toMatchObject({ status: 'pass', code: 'ok' });
    expect(byName.media).toMatchObject({ status: 'pass', code: 'ok' });
    expect(byName.camera).toMatchObject({ status: 'fail', code: 'not-supported' });
    expect(byName.microphone).toMatchObject({ status: 'fail', code: 'not-supported' });
    // No microphone: the consultation cannot go on as things are, and the report says so.
    expect(report.verdict).toBe('blocked');
    expect(report.relayRttMs).toEqual(expect.any(Number));
  }, 60_000);
});
