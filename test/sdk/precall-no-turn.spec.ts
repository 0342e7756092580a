import { precallCheck } from '../../packages/client/src/precall';
import type { PeerConnectionFactory, StreamLike } from '../../packages/client/src/webrtc';

// A deployment without TURN (the browser tests', a LAN): the pre-call check does not try a
// relay-only loopback that could only time out; it says the relay was not checked.
describe('sdk precallCheck without a TURN server', () => {
  it('skips the relay and media steps at once and stays ready', async () => {
    const stream = (kind: string): StreamLike => ({
      getTracks: () => [{ kind, enabled: true, stop: () => undefined }],
    });
    let peerConnections = 0;
    const started = Date.now();
    const report = await precallCheck({
      webrtc: {
        RTCPeerConnection: class {
          constructor() {
            peerConnections += 1;
          }
        } as unknown as PeerConnectionFactory,
        getUserMedia: (c) => Promise.resolve(stream(c.video ? 'video' : 'audio')),
      },
      iceServers: () => Promise.resolve([{ urls: ['stun:stun.test:3478'] }]),
      timeoutMs: 5000,
    });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(peerConnections).toBe(0);
    expect(report.checks.filter((c) => c.name === 'turn' || c.name === 'media')).toEqual([
      { name: 'turn', status: 'skipped', code: 'not-run' },
      { name: 'media', status: 'skipped', code: 'not-run' },
    ]);
    expect(report.verdict).toBe('ready');
  });
});
