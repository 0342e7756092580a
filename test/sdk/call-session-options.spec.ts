import { CallClient } from '../../packages/client/src/calls';
import type { SignalingClient } from '../../packages/client/src/signaling';
import type { PeerConnectionFactory, TrackLike } from '../../packages/client/src/webrtc';

// CallClient's session options may be a function, asked when a call's session opens: the
// tracks sent are those of that moment (an app that starts its camera only for the call).
const added: string[] = [];
class FakePc {
  connectionState = 'new';
  signalingState = 'stable';
  localDescription = null;
  remoteDescription = null;
  onnegotiationneeded = null;
  onicecandidate = null;
  ontrack = null;
  onconnectionstatechange = null;
  setLocalDescription = () => Promise.resolve();
  setRemoteDescription = () => Promise.resolve();
  addIceCandidate = () => Promise.resolve();
  addTrack = (t: TrackLike & { label: string }) => void added.push(t.label);
  createDataChannel = () => ({ readyState: 'connecting', onmessage: null, close: () => undefined });
  getStats = () => Promise.resolve({ forEach: () => undefined });
  setConfiguration = () => undefined;
  restartIce = () => undefined;
  close = () => undefined;
}

describe('sdk CallClient session options', () => {
  it('asks a function for the options when the call’s session opens', async () => {
    const handlers = new Map<string, (p: unknown) => void>();
    const signaling = {
      connected: true,
      request: (event: string) =>
        Promise.resolve(event === 'call:initiate' ? { callId: 'c1', roomId: 'r1' } : {}),
      listen: (event: string, handler: (p: unknown) => void) => {
        handlers.set(event, handler);
        return () => undefined;
      },
      on: () => () => undefined,
    };
    let camera = 'camera before the call';
    const calls = new CallClient(signaling as unknown as SignalingClient, () => ({
      webrtc: { RTCPeerConnection: FakePc as unknown as PeerConnectionFactory },
      localTracks: [{ track: { kind: 'video', label: camera, enabled: true, stop: () => {} } }],
      statsIntervalMs: 0,
    }));
    const call = await calls.start(['callee'], 'video');
    camera = 'camera of the call';
    handlers.get('call:accepted')?.({
      callId: 'c1',
      roomId: 'r1',
      sessionId: 's1',
      participants: [{ userId: 'callee', displayName: 'Callee', role: 'participant' }],
      iceServers: [],
      expiresAt: '2030-01-01T00:00:00Z',
      polite: false,
    });
    expect(call.session?.state).toBe('joined');
    expect(added).toEqual(['camera of the call']);
    calls.close();
  });
});
