import type { JoinedAnswer } from '../../packages/client/src/contract/signaling-events';
import { ConsultationSession, type SessionEvents } from '../../packages/client/src/session';
import type { ConnectionChange, SignalingClient } from '../../packages/client/src/signaling';
import type { PeerConnectionFactory } from '../../packages/client/src/webrtc';

// The session's bookkeeping against a scripted signaling connection: waiting room and queue,
// admission, a reconnect after the grace ran out (a new server session), the server ending it.
// Real peer connections and a real server: test/sdk/werift-sessions.e2e-spec.ts.
class FakeSignaling {
  connected = true;
  readonly sent: { event: string; payload: unknown }[] = [];
  answers: unknown[] = [];
  private readonly handlers = new Map<string, ((p: unknown) => void)[]>();
  private readonly connectionListeners: ((c: ConnectionChange) => void)[] = [];

  request(event: string, payload: unknown): Promise<unknown> {
    this.sent.push({ event, payload });
    return Promise.resolve(event === 'room:join' ? this.answers.shift() : {});
  }
  listen(event: string, handler: (p: unknown) => void): () => void {
    this.handlers.set(event, [...(this.handlers.get(event) ?? []), handler]);
    return () => undefined;
  }
  on(_event: 'connection', listener: (c: ConnectionChange) => void): () => void {
    this.connectionListeners.push(listener);
    return () => undefined;
  }
  server(event: string, payload: unknown): void {
    for (const h of this.handlers.get(event) ?? []) h(payload);
  }
  connection(change: ConnectionChange): void {
    for (const l of this.connectionListeners) l(change);
  }
}

const closed: string[] = [];
class FakePc {
  // What the session did to this connection, in order (configurations as their ICE servers).
  readonly calls: string[] = [];
  connectionState = 'new';
  signalingState = 'stable';
  localDescription = null;
  remoteDescription = null;
  onnegotiationneeded = null;
  onicecandidate = null;
  ontrack = null;
  onconnectionstatechange: unknown = null;
  onsignalingstatechange = null;
  constructor(private readonly config: { iceServers?: { urls: string[] }[] }) {}
  setLocalDescription = () => Promise.resolve();
  setRemoteDescription = () => Promise.resolve();
  addIceCandidate = () => Promise.resolve();
  createOffer = () => Promise.resolve({ type: 'offer' as const, sdp: '' });
  addTrack = () => undefined;
  createDataChannel = () => ({
    label: 'hekim',
    readyState: 'connecting',
    send: () => undefined,
    close: () => undefined,
    onopen: null,
    onmessage: null,
  });
  getStats = () => Promise.resolve({ forEach: () => undefined });
  setConfiguration = (c: { iceServers?: unknown }) =>
    void this.calls.push(`setConfiguration ${JSON.stringify(c.iceServers)}`);
  restartIce = () => void this.calls.push('restartIce');
  // The browser's side: the connection's state changes and it says so.
  become(state: string): void {
    this.connectionState = state;
    (this.onconnectionstatechange as ((e: unknown) => void) | null)?.({});
  }
  close = () => void closed.push(JSON.stringify(this.config.iceServers));
}

const joined = (sessionId: string, userIds: string[], polite = true): JoinedAnswer => ({
  roomId: 'r1',
  sessionId,
  participants: userIds.map((userId) => ({ userId, displayName: userId, role: 'host' })),
  iceServers: [{ urls: [`turn:${sessionId}`] }],
  expiresAt: '2030-01-01T00:00:00Z',
  polite,
});

function setup() {
  const signaling = new FakeSignaling();
  const session = new ConsultationSession({
    signaling: signaling as unknown as SignalingClient,
    webrtc: { RTCPeerConnection: FakePc as unknown as PeerConnectionFactory },
    roomId: 'r1',
    statsIntervalMs: 0,
    newId: () => 'client-1',
  });
  const events: { [K in keyof SessionEvents]?: SessionEvents[K][] } = {};
  for (const name of ['state', 'queue', 'reconnected', 'participant-left'] as const) {
    session.on(name, (p) => ((events[name] ??= []) as unknown[]).push(p));
  }
  return { signaling, session, events };
}

describe('sdk session: waiting, admission, reconnect, end', () => {
  beforeEach(() => (closed.length = 0));

  it('waits behind the waiting room, follows its queue place, and joins when admitted', async () => {
    const { signaling, session, events } = setup();
    signaling.answers.push({ waiting: true });
    expect(await session.join()).toBe('waiting');
    signaling.server('queue:update', { roomId: 'other', position: 9, estimatedWaitMinutes: 90 });
    signaling.server('queue:update', { roomId: 'r1', position: 2, estimatedWaitMinutes: 10 });
    expect(events.queue).toEqual([{ position: 2, estimatedWaitMinutes: 10 }]);
    signaling.server('room:admitted', joined('s1', ['doctor']));
    expect(session.state).toBe('joined');
    expect(session.sessionId).toBe('s1');
    expect(session.peer('doctor')?.polite).toBe(true);
    // Chat goes out with this room and a clientId.
    await session.sendChat({ text: 'hello' }).catch(() => undefined);
    expect(signaling.sent.at(-1)).toEqual({
      event: 'chat:send',
      payload: { roomId: 'r1', clientId: 'client-1', text: 'hello' },
    });
  });

  it('rejoins after a drop; a new server session (grace over) replaces every connection', async () => {
    const { signaling, session, events } = setup();
    signaling.answers.push(joined('s1', ['doctor']));
    await session.join();
    const first = session.peer('doctor');
    signaling.connection({ state: 'reconnecting', reason: 'transport close' });
    expect(session.state).toBe('reconnecting');
    signaling.answers.push(joined('s2', ['doctor']));
    signaling.connection({ state: 'connected' });
    await new Promise((r) => setImmediate(r));
    expect(events.reconnected).toEqual([{ resumed: false }]);
    expect(session.sessionId).toBe('s2');
    expect(session.peer('doctor')).not.toBe(first);
    expect(closed).toEqual([JSON.stringify([{ urls: ['turn:s1'] }])]);
  });

  it('resumes the same session within the grace, keeping the connection and dropping who left', async () => {
    const { signaling, session, events } = setup();
    signaling.answers.push(joined('s1', ['doctor', 'interpreter'], false));
    await session.join();
    const doctor = session.peer('doctor');
    signaling.connection({ state: 'reconnecting' });
    signaling.answers.push(joined('s1', ['doctor']));
    signaling.connection({ state: 'connected' });
    await new Promise((r) => setImmediate(r));
    expect(events.reconnected).toEqual([{ resumed: true }]);
    expect(session.peer('doctor')).toBe(doctor);
    // We came back as the newcomer: polite now.
    expect(doctor?.polite).toBe(true);
    expect(session.peer('interpreter')).toBeUndefined();
  });

  it('ends when the server ends the session, and closes its connections', async () => {
    const { signaling, session, events } = setup();
    signaling.answers.push(joined('s1', ['doctor']));
    await session.join();
    signaling.server('room:participant-left', { roomId: 'r1', userId: 'nobody' });
    expect(events['participant-left']).toEqual([{ userId: 'nobody' }]);
    signaling.server('room:session-ended', {
      roomId: 'r1',
      sessionId: 's1',
      reason: 'ended-by-host',
    });
    expect(session.state).toBe('ended');
    expect(events.state?.at(-1)).toEqual({ state: 'ended', reason: 'ended-by-host' });
    expect(closed).toHaveLength(1);
  });

  describe('ICE restart after 3 s of disconnected, with the credentials of the latest ice:servers', () => {
    afterEach(() => jest.useRealTimers());

    async function joinedWithFreshCredentials() {
      const { signaling, session } = setup();
      signaling.answers.push(joined('s1', ['doctor']));
      await session.join();
      jest.useFakeTimers();
      const pc = session.peer('doctor')?.pc as unknown as FakePc;
      pc.become('connected');
      // The server hands out fresh TURN credentials before the old expire.
      const fresh = [{ urls: ['turn:fresh'], username: '2030:u', credential: 'new' }];
      signaling.server('ice:servers', { iceServers: fresh, expiresAt: '2030-01-01T00:00:00Z' });
      return { session, pc, fresh };
    }

    it('waits 3 s, then restarts ICE once, configured with the fresh credentials first', async () => {
      const { session, pc, fresh } = await joinedWithFreshCredentials();
      pc.become('disconnected');
      jest.advanceTimersByTime(2999);
      expect(pc.calls).not.toContain('restartIce');
      jest.advanceTimersByTime(1);
      expect(pc.calls).toEqual([`setConfiguration ${JSON.stringify(fresh)}`, 'restartIce']);
      expect(session.peer('doctor')?.iceRestarts).toBe(1);
      jest.advanceTimersByTime(10_000);
      expect(pc.calls.filter((c) => c === 'restartIce')).toHaveLength(1);
    });

    it('does not restart when the connection heals within the 3 s', async () => {
      const { pc } = await joinedWithFreshCredentials();
      pc.become('disconnected');
      jest.advanceTimersByTime(2000);
      pc.become('connected');
      jest.advanceTimersByTime(10_000);
      expect(pc.calls).not.toContain('restartIce');
    });

    it('restarts at once when the connection fails meanwhile, and not again when the timer would have fired', async () => {
      const { pc } = await joinedWithFreshCredentials();
      pc.become('disconnected');
      jest.advanceTimersByTime(1000);
      pc.become('failed');
      expect(pc.calls.filter((c) => c === 'restartIce')).toHaveLength(1);
      jest.advanceTimersByTime(10_000);
      expect(pc.calls.filter((c) => c === 'restartIce')).toHaveLength(1);
    });

    it('never restarts a connection the session has closed (left, or ended by the server)', async () => {
      const { session, pc } = await joinedWithFreshCredentials();
      pc.become('disconnected');
      session.end('ended-by-host');
      jest.advanceTimersByTime(10_000);
      expect(pc.calls).not.toContain('restartIce');
    });
  });
});
