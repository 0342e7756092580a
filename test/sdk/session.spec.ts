import type { SessionEvents } from '../../packages/client/src/session';
import type { ConnectionChange } from '../../packages/client/src/signaling';
import {
  connectedOverFakeSocket,
  FakePc,
  fakeSession,
  type FakeSocket,
  joined,
  resetFakePcs,
} from './fakes';

// The session's bookkeeping against a scripted signaling connection: waiting room and queue,
// admission, a reconnect after the grace ran out (a new server session), the server ending it.
// Real peer connections and a real server: test/sdk/werift-sessions.e2e-spec.ts.
function setup() {
  const { signaling, session } = fakeSession();
  const events: { [K in keyof SessionEvents]?: SessionEvents[K][] } = {};
  for (const name of ['state', 'queue', 'reconnected', 'participant-left'] as const) {
    session.on(name, (p) => ((events[name] ??= []) as unknown[]).push(p));
  }
  return { signaling, session, events };
}

describe('sdk session: waiting, admission, reconnect, end', () => {
  beforeEach(resetFakePcs);

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
    expect(FakePc.closed).toEqual([JSON.stringify([{ urls: ['turn:s1'] }])]);
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
    expect(FakePc.closed).toHaveLength(1);
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

// docs/signaling.md: a socket whose access token expired without `auth:refresh` is told
// `auth:expired` and closed by the server. docs/sdk.md: any server disconnect but a drain's is
// final (state `closed`, Socket.IO's reason), and a final close ends the session.
describe('sdk session: the access token expires (auth:expired)', () => {
  beforeEach(() => {
    resetFakePcs();
    jest.useFakeTimers();
  });
  afterEach(() => jest.useRealTimers());

  function joinedOverSocket() {
    const { socket, client: signaling } = connectedOverFakeSocket();
    const { session } = fakeSession({ signaling });
    session.attach(joined('s1', ['doctor']));
    const changes: ConnectionChange[] = [];
    const states: SessionEvents['state'][] = [];
    signaling.on('connection', (c) => changes.push(c));
    session.on('state', (s) => states.push(s));
    return { socket, signaling, session, changes, states };
  }

  // What the server does when the token expires (src/modules/signaling/socket-upkeep.ts).
  function expire(socket: FakeSocket): void {
    socket.server('auth:expired', {});
    socket.server('disconnect', 'io server disconnect');
  }

  function expectEnded(t: ReturnType<typeof joinedOverSocket>): void {
    expect(t.changes).toEqual([{ state: 'closed', reason: 'io server disconnect' }]);
    expect(t.signaling.connectionState).toBe('closed');
    expect(t.states).toEqual([{ state: 'ended', reason: 'io server disconnect' }]);
    expect(t.session.state).toBe('ended');
    expect(FakePc.closed).toEqual([JSON.stringify([{ urls: ['turn:s1'] }])]);
    // The socket stays closed (no reconnect with the expired token) and the ended session
    // listens to it no more.
    expect(t.socket.connects).toBe(0);
    expect(t.socket.listeners('room:session-ended')).toBe(0);
  }

  it('ends the session with the close, closes its connections, and tells both kinds of listener once', () => {
    const t = joinedOverSocket();
    expire(t.socket);
    jest.advanceTimersByTime(5000);
    expectEnded(t);
  });

  it('is final even after the instance announced a drain (the cut is the expiry’s, not the drain’s)', () => {
    const t = joinedOverSocket();
    t.socket.server('server:draining', { reconnect: true });
    expire(t.socket);
    jest.advanceTimersByTime(5000);
    expectEnded(t);
  });
});
