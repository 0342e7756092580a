import { Peer, STALL_MS } from '../../packages/client/src/peer';
import type { PeerConnectionFactory } from '../../packages/client/src/webrtc';

// A connection still `new` STALL_MS after an offer/answer exchange settled is stuck (a Chromium
// glare case, docs/demo.md): the impolite side asks for a fresh one; the polite side waits for
// it, and a connection that got going is left alone.
class FakePc {
  connectionState = 'new';
  signalingState = 'stable';
  localDescription = { type: 'answer', sdp: 'v=0' };
  remoteDescription: { type: string; sdp: string } | null = null;
  onnegotiationneeded = null;
  onicecandidate = null;
  ontrack = null;
  onconnectionstatechange = null;
  setLocalDescription = () => Promise.resolve();
  setRemoteDescription = (d: { type: string; sdp: string }) => {
    this.remoteDescription = d;
    return Promise.resolve();
  };
  addIceCandidate = () => Promise.resolve();
  addTrack = () => undefined;
  createDataChannel = () => ({ readyState: 'connecting', onmessage: null, close: () => undefined });
  setConfiguration = () => undefined;
  restartIce = () => undefined;
  close = () => undefined;
}

function peer(polite: boolean, stalled: () => void): Peer {
  const signals = {
    offer: () => Promise.resolve(),
    answer: () => Promise.resolve(),
    candidate: () => Promise.resolve(),
  };
  const on = {
    track: () => {},
    state: () => {},
    message: () => {},
    error: () => {},
    log: () => {},
    stalled,
  };
  return new Peer('other', polite, FakePc as unknown as PeerConnectionFactory, {}, [], signals, on);
}

describe('sdk peer: a connection stuck at new', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('is reported by the impolite side once STALL_MS passed after the exchange', async () => {
    const stalled = jest.fn();
    const p = peer(false, stalled);
    await p.handleDescription('offer', 'v=0 offer');
    jest.advanceTimersByTime(STALL_MS - 1);
    expect(stalled).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(stalled).toHaveBeenCalledTimes(1);
  });

  it('is not reported by the polite side, nor once the connection got going, nor after close', async () => {
    const polite = jest.fn();
    await peer(true, polite).handleDescription('offer', 'v=0 offer');
    const going = jest.fn();
    const p = peer(false, going);
    await p.handleDescription('offer', 'v=0 offer');
    (p.pc as unknown as FakePc).connectionState = 'connecting';
    const closed = jest.fn();
    const q = peer(false, closed);
    await q.handleDescription('offer', 'v=0 offer');
    q.close();
    jest.advanceTimersByTime(STALL_MS);
    expect([polite, going, closed].map((f) => f.mock.calls.length)).toEqual([0, 0, 0]);
  });
});
