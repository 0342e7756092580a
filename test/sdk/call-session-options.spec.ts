import { CallClient } from '../../packages/client/src/calls';
import { FakePc, FakeSignaling, joined, resetFakePcs, track } from './fakes';

// CallClient's session options may be a function, asked when a call's session opens: the
// tracks sent are those of that moment (an app that starts its camera only for the call).
describe('sdk CallClient session options', () => {
  beforeEach(resetFakePcs);

  it('asks a function for the options when the call’s session opens', async () => {
    const signaling = new FakeSignaling();
    signaling.replies.set('call:initiate', { callId: 'c1', roomId: 'r1' });
    let camera = 'camera before the call';
    const calls = new CallClient(signaling.asClient(), () => ({
      webrtc: { RTCPeerConnection: FakePc },
      localTracks: [{ track: track('video', camera) }],
      statsIntervalMs: 0,
    }));
    const call = await calls.start(['callee'], 'video');
    camera = 'camera of the call';
    signaling.server('call:accepted', { ...joined('s1', ['callee'], false), callId: 'c1' });
    expect(call.session?.state).toBe('joined');
    const added = FakePc.made.flatMap((pc) => pc.transceivers);
    expect(added.map((t) => (t.sender.track as unknown as { label: string }).label)).toEqual([
      'camera of the call',
    ]);
    calls.close();
  });
});
