import type { JoinedAnswer } from '../../packages/client/src/contract/signaling-events';
import { arrivingSince, replaceOutgoingTrack, setSending } from '../../packages/client/src/media';
import { ConsultationSession } from '../../packages/client/src/session';
import type { SignalingClient } from '../../packages/client/src/signaling';
import type { StatsEntry, TrackLike, TransceiverLike } from '../../packages/client/src/webrtc';

// The SDK's media controls (packages/client/src/media.ts) and ConsultationSession's use of
// them, against scripted peer connections: replacing the outgoing track (screen share, camera
// switch), sending on/off, and what the other side is sending. In real Chromium:
// test/browser/media-switch.e2e-spec.ts.
const track = (kind: string, label = kind): TrackLike & { label: string } => ({
  kind,
  label,
  enabled: true,
  stop: () => undefined,
});

class FakeTransceiver implements TransceiverLike {
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

const pcs: FakePc[] = [];
class FakePc {
  connectionState = 'connected';
  signalingState = 'stable';
  localDescription = null;
  remoteDescription = null;
  onnegotiationneeded = null;
  onicecandidate = null;
  ontrack = null;
  onconnectionstatechange = null;
  onsignalingstatechange = null;
  transceivers: FakeTransceiver[] = [];
  stats: StatsEntry[] = [];
  constructor() {
    pcs.push(this);
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
  setConfiguration = () => undefined;
  restartIce = () => undefined;
  close = () => {
    this.connectionState = 'closed';
  };
}

const asPc = (pc: FakePc) => pc as unknown as Parameters<typeof setSending>[0];

const joined = (userIds: string[]): JoinedAnswer => ({
  roomId: 'r1',
  sessionId: 's1',
  participants: userIds.map((userId) => ({ userId, displayName: userId, role: 'host' })),
  iceServers: [],
  expiresAt: '2030-01-01T00:00:00Z',
  polite: true,
});

function session(): ConsultationSession {
  const signaling = {
    connected: true,
    request: () => Promise.resolve({}),
    listen: () => () => undefined,
    on: () => () => undefined,
  };
  return new ConsultationSession({
    signaling: signaling as unknown as SignalingClient,
    webrtc: { RTCPeerConnection: FakePc },
    roomId: 'r1',
    localTracks: [{ track: track('audio', 'mic') }, { track: track('video', 'camera') }],
    statsIntervalMs: 0,
  });
}

describe('sdk media controls', () => {
  beforeEach(() => (pcs.length = 0));

  it('replaces the outgoing track of one kind only, and not on a closed connection', async () => {
    const pc = new FakePc();
    pc.transceivers = [new FakeTransceiver('audio'), new FakeTransceiver('video')];
    const screen = track('video', 'screen');
    expect(await replaceOutgoingTrack(asPc(pc), 'video', screen)).toBe(1);
    expect(pc.transceivers[1].sender.track).toBe(screen);
    expect(pc.transceivers[0].sender.track?.kind).toBe('audio');
    pc.connectionState = 'closed';
    expect(await replaceOutgoingTrack(asPc(pc), 'video', track('video'))).toBe(0);
    expect(pc.transceivers[1].sender.track).toBe(screen);
  });

  it('turns sending off and on by the transceiver direction, reporting a change once', () => {
    const pc = new FakePc();
    pc.transceivers = [new FakeTransceiver('audio'), new FakeTransceiver('video')];
    expect(setSending(asPc(pc), 'audio', false)).toBe(true);
    expect(setSending(asPc(pc), 'audio', false)).toBe(false);
    expect(pc.transceivers.map((t) => t.direction)).toEqual(['recvonly', 'sendrecv']);
    expect(setSending(asPc(pc), 'audio', true)).toBe(true);
    expect(pc.transceivers[0].direction).toBe('sendrecv');
  });

  it('tells which kinds arrive from the packets counted since the last reading', () => {
    const entry = (id: string, kind: string, packetsReceived: number): StatsEntry => ({
      id,
      type: 'inbound-rtp',
      kind,
      packetsReceived,
    });
    const first = arrivingSince([entry('a', 'audio', 10), entry('v', 'video', 5)], new Map());
    expect(first.media).toEqual({ audio: true, video: true });
    const second = arrivingSince([entry('a', 'audio', 20), entry('v', 'video', 5)], first.packets);
    expect(second.media).toEqual({ audio: true, video: false });
  });

  it('session: replaceTrack reaches every connection and the ones made later', async () => {
    const s = session();
    s.attach(joined(['doctor', 'nurse']));
    const screen = track('video', 'screen');
    expect(await s.replaceTrack('video', screen)).toBe(2);
    expect(pcs.map((pc) => pc.transceivers[1].sender.track)).toEqual([screen, screen]);
    s.attach({ ...joined(['doctor', 'nurse', 'interpreter']) });
    expect(pcs).toHaveLength(3);
    expect(
      pcs[2].transceivers.map((t) => (t.sender.track as unknown as { label: string }).label),
    ).toEqual(['mic', 'screen']);
  });

  it('session: setSending applies to live connections and to connections made later', () => {
    const s = session();
    s.attach(joined(['doctor']));
    s.setSending('video', false);
    expect(pcs[0].transceivers.map((t) => t.direction)).toEqual(['sendrecv', 'recvonly']);
    s.attach(joined(['doctor', 'nurse']));
    expect(pcs[1].transceivers.map((t) => t.direction)).toEqual(['sendrecv', 'recvonly']);
    s.setSending('video', true);
    expect(pcs.map((pc) => pc.transceivers[1].direction)).toEqual(['sendrecv', 'sendrecv']);
  });

  it('session: remoteMedia reads each participant by their own counters', async () => {
    const s = session();
    s.attach(joined(['doctor']));
    pcs[0].stats = [{ id: 'v', type: 'inbound-rtp', kind: 'video', packetsReceived: 3 }];
    expect(await s.remoteMedia('doctor')).toEqual({ audio: false, video: true });
    expect(await s.remoteMedia('doctor')).toEqual({ audio: false, video: false });
    expect(await s.remoteMedia('nobody')).toBeUndefined();
  });
});
