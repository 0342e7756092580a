import type { io } from 'socket.io-client';
import type { JoinedAnswer } from '../../packages/client/src/contract/signaling-events';
import { ConsultationSession, type SessionOptions } from '../../packages/client/src/session';
import { type ConnectionChange, SignalingClient } from '../../packages/client/src/signaling';
import type {
  Handler,
  PeerConfiguration,
  StatsEntry,
  TrackLike,
  TransceiverLike,
} from '../../packages/client/src/webrtc';

// Scripted stand-ins for the SDK's unit specs (test/sdk/*.spec.ts): a peer connection, the
// signaling client a session talks to, and the Socket.IO socket under a real SignalingClient.
// Real peer connections and a real server: test/sdk/werift-sessions.e2e-spec.ts.

export const track = (kind: string, label = kind): TrackLike & { label: string } => ({
  kind,
  label,
  enabled: true,
  stop: () => undefined,
});

export class FakeTransceiver implements TransceiverLike {
  direction = 'sendrecv';
  currentDirection = 'sendrecv';
  readonly receiver: { track: TrackLike };
  readonly sender: { track: TrackLike | null; replaceTrack(t: TrackLike | null): Promise<void> };
  constructor(kind: string) {
    this.receiver = { track: track(kind, `remote ${kind}`) };
    const sender = {
      track: track(kind) as TrackLike | null,
      replaceTrack: (t: TrackLike | null) => {
        sender.track = t;
        return Promise.resolve();
      },
    };
    this.sender = sender;
  }
}

export class FakePc {
  // Every FakePc made, in order, and the ICE servers of each close() call (resetFakePcs()).
  static readonly made: FakePc[] = [];
  static readonly closed: string[] = [];
  // What the session did to this connection, in order (configurations as their ICE servers).
  readonly calls: string[] = [];
  connectionState = 'new';
  signalingState = 'stable';
  localDescription = null;
  remoteDescription = null;
  onnegotiationneeded = null;
  onicecandidate = null;
  ontrack = null;
  onconnectionstatechange: Handler<unknown> = null;
  onsignalingstatechange = null;
  // One per added track; the media controls read and change them.
  transceivers: FakeTransceiver[] = [];
  // What getStats() reports.
  stats: StatsEntry[] = [];
  constructor(readonly config: PeerConfiguration = {}) {
    FakePc.made.push(this);
  }
  setLocalDescription = () => Promise.resolve();
  setRemoteDescription = () => Promise.resolve();
  addIceCandidate = () => Promise.resolve();
  createOffer = () => Promise.resolve({ type: 'offer' as const, sdp: '' });
  addTrack = (t: TrackLike) => {
    const tr = new FakeTransceiver(t.kind);
    tr.sender.track = t;
    this.transceivers.push(tr);
  };
  getTransceivers = () => this.transceivers;
  createDataChannel = () => ({
    label: 'hekim',
    readyState: 'connecting',
    send: () => undefined,
    close: () => undefined,
    onopen: null,
    onmessage: null,
  });
  getStats = () =>
    Promise.resolve({ forEach: (cb: (e: StatsEntry) => void) => this.stats.forEach(cb) });
  setConfiguration = (c: PeerConfiguration) =>
    void this.calls.push(`setConfiguration ${JSON.stringify(c.iceServers)}`);
  restartIce = () => void this.calls.push('restartIce');
  // The browser's side: the connection's state changes and it says so.
  become(state: string): void {
    this.connectionState = state;
    this.onconnectionstatechange?.({});
  }
  // As a browser's: closed at once, with no state change event.
  close = () => {
    this.connectionState = 'closed';
    FakePc.closed.push(JSON.stringify(this.config.iceServers));
  };
}

export function resetFakePcs(): void {
  FakePc.made.length = 0;
  FakePc.closed.length = 0;
}

// A SignalingClient as a session uses it: requests are recorded and answered from the script,
// and the test plays the server's events and the connection's changes.
export class FakeSignaling {
  connected = true;
  readonly sent: { event: string; payload: unknown }[] = [];
  // Answers to `room:join`, in order.
  answers: unknown[] = [];
  // Fixed answers to other events; `{}` for any not here.
  readonly replies = new Map<string, unknown>();
  private readonly handlers = new Map<string, ((p: unknown) => void)[]>();
  private readonly connectionListeners: ((c: ConnectionChange) => void)[] = [];

  request(event: string, payload: unknown): Promise<unknown> {
    this.sent.push({ event, payload });
    if (event === 'room:join') return Promise.resolve(this.answers.shift());
    return Promise.resolve(this.replies.get(event) ?? {});
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
  asClient(): SignalingClient {
    return this as unknown as SignalingClient;
  }
}

// A Socket.IO socket under a real SignalingClient: the test plays the server's side.
export class FakeSocket {
  connected = false;
  connects = 0;
  private readonly handlers = new Map<string, ((...args: unknown[]) => void)[]>();
  on(event: string, handler: (...args: unknown[]) => void): this {
    this.handlers.set(event, [...(this.handlers.get(event) ?? []), handler]);
    return this;
  }
  off(event: string, handler: (...args: unknown[]) => void): this {
    this.handlers.set(
      event,
      (this.handlers.get(event) ?? []).filter((h) => h !== handler),
    );
    return this;
  }
  connect(): this {
    this.connects++;
    return this;
  }
  disconnect(): this {
    this.connected = false;
    return this;
  }
  // How many handlers listen to one event.
  listeners(event: string): number {
    return (this.handlers.get(event) ?? []).length;
  }
  server(event: string, ...args: unknown[]): void {
    if (event === 'connect') this.connected = true;
    if (event === 'disconnect') this.connected = false;
    for (const h of this.handlers.get(event) ?? []) h(...args);
  }
  // Socket.IO's io(), handing out this socket.
  asIo(): typeof io {
    return (() => this) as unknown as typeof io;
  }
}

// A real SignalingClient over a FakeSocket, connected.
export function connectedOverFakeSocket(): { socket: FakeSocket; client: SignalingClient } {
  const socket = new FakeSocket();
  const client = new SignalingClient({ url: 'https://hekim.test', token: 't', io: socket.asIo() });
  socket.server('connect');
  return { socket, client };
}

export const joined = (sessionId: string, userIds: string[], polite = true): JoinedAnswer => ({
  roomId: 'r1',
  sessionId,
  participants: userIds.map((userId) => ({ userId, displayName: userId, role: 'host' })),
  iceServers: [{ urls: [`turn:${sessionId}`] }],
  expiresAt: '2030-01-01T00:00:00Z',
  polite,
});

// A session in room r1 over a FakeSignaling (or the signaling given) with FakePc connections.
export function fakeSession(options: Partial<SessionOptions> = {}): {
  signaling: FakeSignaling;
  session: ConsultationSession;
} {
  const signaling = new FakeSignaling();
  const session = new ConsultationSession({
    signaling: signaling.asClient(),
    webrtc: { RTCPeerConnection: FakePc },
    roomId: 'r1',
    statsIntervalMs: 0,
    newId: () => 'client-1',
    ...options,
  });
  return { signaling, session };
}
