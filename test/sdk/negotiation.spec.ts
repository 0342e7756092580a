import {
  iceRestartDelay,
  isNewRemoteSession,
  isOfferCollision,
  sdpSessionId,
  shouldIgnoreOffer,
} from '../../packages/client/src/negotiation';
import { Peer } from '../../packages/client/src/peer';
import { adviceOf, precheckSummary, verdictOf } from '../../packages/client/src/precall';
import type {
  IceCandidateLike,
  PeerConnectionLike,
  SessionDescriptionInit,
} from '../../packages/client/src/webrtc';

// Perfect negotiation's decisions and the order in which a Peer applies signals, on a
// scripted peer connection (the real ones run in test/sdk/werift-sessions.e2e-spec.ts).
describe('sdk negotiation: decisions', () => {
  const stable = {
    makingOffer: false,
    signalingState: 'stable',
    settingRemoteAnswerPending: false,
  };

  it('sees a collision only for an offer that meets one of ours', () => {
    expect(isOfferCollision('offer', stable)).toBe(false);
    expect(isOfferCollision('answer', { ...stable, signalingState: 'have-local-offer' })).toBe(
      false,
    );
    expect(isOfferCollision('offer', { ...stable, makingOffer: true })).toBe(true);
    expect(isOfferCollision('offer', { ...stable, signalingState: 'have-local-offer' })).toBe(true);
    expect(
      isOfferCollision('offer', {
        ...stable,
        signalingState: 'have-local-offer',
        settingRemoteAnswerPending: true,
      }),
    ).toBe(false);
  });

  it('lets only the impolite side ignore a colliding offer', () => {
    expect(shouldIgnoreOffer(false, true)).toBe(true);
    expect(shouldIgnoreOffer(true, true)).toBe(false);
    expect(shouldIgnoreOffer(false, false)).toBe(false);
  });

  it('restarts ICE at once on failed, after a grace on disconnected, never otherwise', () => {
    expect(iceRestartDelay('failed')).toBe(0);
    expect(iceRestartDelay('disconnected')).toBeGreaterThan(0);
    expect(iceRestartDelay('connected')).toBeUndefined();
    expect(iceRestartDelay('new')).toBeUndefined();
  });

  it('tells a new remote peer connection by its SDP session id and certificate together', () => {
    const sdp = (id: string, cert: string) =>
      `v=0\r\no=- ${id} 2 IN IP4 127.0.0.1\r\ns=-\r\na=fingerprint:sha-256 ${cert}\r\n`;
    expect(sdpSessionId(sdp('4611', 'AA:BB'))).toBe('4611');
    // libwebrtc: an ICE restart keeps both; a reload changes both.
    expect(isNewRemoteSession(sdp('4611', 'AA:BB'), sdp('4611', 'aa:bb'))).toBe(false);
    expect(isNewRemoteSession(sdp('4611', 'AA:BB'), sdp('9999', 'CC:DD'))).toBe(true);
    // werift: a new session id for every offer, one certificate per process.
    expect(isNewRemoteSession(sdp('4611', 'AA:BB'), sdp('9999', 'AA:BB'))).toBe(false);
    expect(isNewRemoteSession(undefined, sdp('9999', 'CC:DD'))).toBe(false);
  });
});

// A scripted RTCPeerConnection: records what the Peer did to it.
class ScriptedPc implements PeerConnectionLike {
  connectionState = 'new';
  signalingState = 'stable';
  localDescription: { type: string; sdp: string } | null = null;
  remoteDescription: { type: string; sdp: string } | null = null;
  readonly calls: string[] = [];
  onnegotiationneeded: PeerConnectionLike['onnegotiationneeded'] = null;
  onicecandidate: PeerConnectionLike['onicecandidate'] = null;
  ontrack: PeerConnectionLike['ontrack'] = null;
  onconnectionstatechange: PeerConnectionLike['onconnectionstatechange'] = null;
  onsignalingstatechange: PeerConnectionLike['onsignalingstatechange'] = null;

  async setLocalDescription(d?: SessionDescriptionInit): Promise<void> {
    await Promise.resolve();
    if (d?.type === 'rollback') {
      this.calls.push('rollback');
      this.signalingState = 'stable';
      this.localDescription = null;
      return;
    }
    const type = this.signalingState === 'have-remote-offer' ? 'answer' : 'offer';
    this.localDescription = { type, sdp: `local-${type}` };
    this.signalingState = type === 'offer' ? 'have-local-offer' : 'stable';
    this.calls.push(`local:${type}`);
  }
  async setRemoteDescription(d: SessionDescriptionInit): Promise<void> {
    await Promise.resolve();
    this.remoteDescription = { type: d.type, sdp: d.sdp ?? '' };
    this.signalingState = d.type === 'offer' ? 'have-remote-offer' : 'stable';
    this.calls.push(`remote:${d.type}`);
  }
  async addIceCandidate(c: IceCandidateLike): Promise<void> {
    await Promise.resolve();
    this.calls.push(`candidate:${c.candidate}`);
  }
  createOffer(): Promise<SessionDescriptionInit> {
    return Promise.resolve({ type: 'offer', sdp: 'offer' });
  }
  addTrack(): void {}
  createDataChannel() {
    return {
      label: 'hekim',
      readyState: 'connecting',
      send() {},
      close() {},
      onopen: null,
      onmessage: null,
    };
  }
  getStats() {
    return Promise.resolve({ forEach() {} });
  }
  setConfiguration(): void {}
  restartIce(): void {
    this.calls.push('restartIce');
  }
  close(): void {
    this.calls.push('close');
  }
}

function scriptedPeer(polite: boolean) {
  let pc!: ScriptedPc;
  const Factory = function () {
    pc = new ScriptedPc();
    return pc;
  } as unknown as new () => ScriptedPc;
  const sent: string[] = [];
  const log: string[] = [];
  const peer = new Peer(
    'remote',
    polite,
    Factory,
    {},
    [],
    {
      offer: (sdp) => Promise.resolve(void sent.push(`offer:${sdp}`)),
      answer: (sdp) => Promise.resolve(void sent.push(`answer:${sdp}`)),
      candidate: (c) => Promise.resolve(void sent.push(`candidate:${c.candidate}`)),
    },
    { track() {}, state() {}, message() {}, error() {}, log: (m) => log.push(m) },
  );
  return { peer, pc, sent, log };
}

describe('sdk negotiation: a Peer applies signals in order', () => {
  it('holds candidates until the remote description, then answers the offer', async () => {
    const { peer, pc, sent } = scriptedPeer(true);
    const first = peer.handleCandidate({ candidate: 'c1', sdpMid: '0' });
    const offer = peer.handleDescription('offer', 'their-offer');
    await Promise.all([first, offer]);
    expect(pc.calls).toEqual(['remote:offer', 'candidate:c1', 'local:answer']);
    expect(sent).toEqual(['answer:local-answer']);
  });

  it('impolite: ignores a crossing offer and the candidates that follow it', async () => {
    const { peer, pc, log } = scriptedPeer(false);
    await pc.setLocalDescription(); // an offer of ours is out
    pc.calls.length = 0;
    await peer.handleDescription('offer', 'their-offer');
    await peer.handleCandidate({ candidate: 'c-of-their-offer' });
    expect(pc.calls).toEqual([]);
    expect(log).toContain('offers crossed: ignoring theirs (impolite)');
  });

  it('polite: rolls its own offer back and answers theirs', async () => {
    const { peer, pc, sent } = scriptedPeer(true);
    await pc.setLocalDescription();
    pc.calls.length = 0;
    await peer.handleDescription('offer', 'their-offer');
    expect(pc.calls).toEqual(['rollback', 'remote:offer', 'local:answer']);
    expect(sent).toEqual(['answer:local-answer']);
  });

  it('offers on negotiationneeded and sends each gathered candidate', async () => {
    const { pc, sent } = scriptedPeer(false);
    // Every step of the scripted connection is a resolved promise: one macrotask turn
    // (setImmediate) lets the whole chain run.
    const settled = () => new Promise((r) => setImmediate(r));
    pc.onnegotiationneeded?.(undefined);
    await settled();
    expect(sent).toEqual(['offer:local-offer']);
    pc.onicecandidate?.({
      candidate: { candidate: 'candidate:1 1 udp 1 127.0.0.1 5000 typ host' },
    });
    pc.onicecandidate?.({ candidate: null });
    await settled();
    expect(sent).toEqual([
      'offer:local-offer',
      'candidate:candidate:1 1 udp 1 127.0.0.1 5000 typ host',
    ]);
  });

  it('restarts ICE at once when the connection fails', () => {
    const { pc } = scriptedPeer(false);
    pc.connectionState = 'failed';
    pc.onconnectionstatechange?.(undefined);
    expect(pc.calls).toContain('restartIce');
  });
});

describe('sdk pre-call check: verdict', () => {
  const pass = (name: 'camera' | 'microphone' | 'signaling' | 'turn' | 'media') =>
    ({ name, status: 'pass', code: 'ok' }) as const;

  it('is ready when everything passed, degraded without camera or relay, blocked without microphone or signaling', () => {
    const all = [
      pass('camera'),
      pass('microphone'),
      pass('signaling'),
      pass('turn'),
      pass('media'),
    ];
    expect(verdictOf(all)).toBe('ready');
    const noCamera = [
      { name: 'camera', status: 'fail', code: 'permission-denied' } as const,
      ...all.slice(1),
    ];
    expect(verdictOf(noCamera)).toBe('degraded');
    expect(adviceOf(noCamera)).toEqual(['allow-camera']);
    const noRelay = [
      ...all.slice(0, 3),
      { name: 'turn', status: 'fail', code: 'no-relay-candidate' } as const,
    ];
    expect(verdictOf(noRelay)).toBe('degraded');
    expect(adviceOf(noRelay)).toEqual(['try-another-network']);
    const noMic = [
      pass('camera'),
      { name: 'microphone', status: 'fail', code: 'device-in-use' } as const,
    ];
    expect(verdictOf(noMic)).toBe('blocked');
    expect(adviceOf(noMic)).toEqual(['close-other-microphone-apps']);
    const offline = [{ name: 'signaling', status: 'fail', code: 'unreachable' } as const];
    expect(verdictOf(offline)).toBe('blocked');
  });

  it('summarises the report for the clinician’s queue (POST …/precheck)', () => {
    const report = {
      verdict: 'degraded' as const,
      advice: ['allow-camera'],
      relayRttMs: 42,
      checks: [
        { name: 'camera', status: 'fail', code: 'permission-denied' },
        { name: 'microphone', status: 'pass', code: 'ok' },
        { name: 'signaling', status: 'skipped', code: 'not-run' },
      ] as const,
    };
    expect(precheckSummary({ ...report, checks: [...report.checks] })).toEqual({
      passed: true,
      details: 'camera permission-denied; microphone ok; relay rtt 42 ms',
    });
  });
});
