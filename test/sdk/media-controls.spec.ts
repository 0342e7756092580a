import { arrivingSince, replaceOutgoingTrack, setSending } from '../../packages/client/src/media';
import type { StatsEntry } from '../../packages/client/src/webrtc';
import { FakePc, FakeTransceiver, fakeSession, joined, resetFakePcs, track } from './fakes';

// The SDK's media controls (packages/client/src/media.ts) and ConsultationSession's use of
// them, against scripted peer connections: replacing the outgoing track (screen share, camera
// switch), sending on/off, and what the other side is sending. In real Chromium:
// test/browser/media-switch.e2e-spec.ts.
function connectedPc(): FakePc {
  const pc = new FakePc();
  pc.connectionState = 'connected';
  pc.transceivers = [new FakeTransceiver('audio'), new FakeTransceiver('video')];
  return pc;
}

const asPc = (pc: FakePc) => pc as unknown as Parameters<typeof setSending>[0];

const session = () =>
  fakeSession({
    localTracks: [{ track: track('audio', 'mic') }, { track: track('video', 'camera') }],
  }).session;
const pcs = FakePc.made;

describe('sdk media controls', () => {
  beforeEach(resetFakePcs);

  it('replaces the outgoing track of one kind only, and not on a closed connection', async () => {
    const pc = connectedPc();
    const screen = track('video', 'screen');
    expect(await replaceOutgoingTrack(asPc(pc), 'video', screen)).toBe(1);
    expect(pc.transceivers[1].sender.track).toBe(screen);
    expect(pc.transceivers[0].sender.track?.kind).toBe('audio');
    pc.connectionState = 'closed';
    expect(await replaceOutgoingTrack(asPc(pc), 'video', track('video'))).toBe(0);
    expect(pc.transceivers[1].sender.track).toBe(screen);
  });

  it('turns sending off and on by the transceiver direction, reporting a change once', () => {
    const pc = connectedPc();
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
    s.attach(joined('s1', ['doctor', 'nurse']));
    const screen = track('video', 'screen');
    expect(await s.replaceTrack('video', screen)).toBe(2);
    expect(pcs.map((pc) => pc.transceivers[1].sender.track)).toEqual([screen, screen]);
    s.attach({ ...joined('s1', ['doctor', 'nurse', 'interpreter']) });
    expect(pcs).toHaveLength(3);
    expect(
      pcs[2].transceivers.map((t) => (t.sender.track as unknown as { label: string }).label),
    ).toEqual(['mic', 'screen']);
  });

  it('session: setSending applies to live connections and to connections made later', () => {
    const s = session();
    s.attach(joined('s1', ['doctor']));
    s.setSending('video', false);
    expect(pcs[0].transceivers.map((t) => t.direction)).toEqual(['sendrecv', 'recvonly']);
    s.attach(joined('s1', ['doctor', 'nurse']));
    expect(pcs[1].transceivers.map((t) => t.direction)).toEqual(['sendrecv', 'recvonly']);
    s.setSending('video', true);
    expect(pcs.map((pc) => pc.transceivers[1].direction)).toEqual(['sendrecv', 'sendrecv']);
  });

  it('session: remoteMedia reads each participant by their own counters', async () => {
    const s = session();
    s.attach(joined('s1', ['doctor']));
    pcs[0].become('connected');
    pcs[0].stats = [{ id: 'v', type: 'inbound-rtp', kind: 'video', packetsReceived: 3 }];
    expect(await s.remoteMedia('doctor')).toEqual({ audio: false, video: true });
    expect(await s.remoteMedia('doctor')).toEqual({ audio: false, video: false });
    expect(await s.remoteMedia('nobody')).toBeUndefined();
  });
});
