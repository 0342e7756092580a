// What the local media controls do to the peer connections (WebRTC side, no UI):
//
// - sending on/off: a muted microphone or a camera turned off also stops being sent
//   (transceiver direction recvonly). The change goes through perfect negotiation like any
//   other (negotiationneeded), and the other side's receiver track is muted by its
//   setRemoteDescription: that is the "remote muted" indicator, with no extra signaling.
// - replacing the outgoing track (another camera, a shared screen): replaceTrack, no
//   renegotiation.

function transceiversOf(pc: RTCPeerConnection, kind: 'audio' | 'video'): RTCRtpTransceiver[] {
  return pc
    .getTransceivers()
    .filter(
      (tr) =>
        tr.currentDirection !== 'stopped' &&
        (tr.sender.track?.kind ?? tr.receiver.track.kind) === kind,
    );
}

export function setSending(
  pcs: readonly RTCPeerConnection[],
  kind: 'audio' | 'video',
  sending: boolean,
): void {
  for (const pc of pcs) {
    if (pc.connectionState === 'closed') continue;
    for (const tr of transceiversOf(pc, kind)) {
      const direction: RTCRtpTransceiverDirection = sending ? 'sendrecv' : 'recvonly';
      if (tr.direction !== direction) tr.direction = direction;
    }
  }
}

export async function replaceOutgoing(
  pcs: readonly RTCPeerConnection[],
  kind: 'audio' | 'video',
  track: MediaStreamTrack,
): Promise<void> {
  await Promise.all(
    pcs
      .filter((pc) => pc.connectionState !== 'closed')
      .flatMap((pc) => transceiversOf(pc, kind).map((tr) => tr.sender.replaceTrack(track))),
  );
}

// What the other side of a connection is sending now, per kind: packets arrived since the last
// look (called about once a second). A muted microphone or a camera turned off on the other
// side stops its packets (setSending above), whatever the browser does with track.muted.
const lastPackets = new WeakMap<RTCPeerConnection, Map<string, number>>();

export async function arriving(pc: RTCPeerConnection): Promise<{ audio: boolean; video: boolean }> {
  const report = await pc.getStats();
  const before = lastPackets.get(pc) ?? new Map<string, number>();
  const now = new Map<string, number>();
  const result = { audio: false, video: false };
  report.forEach((entry: { id: string; type: string; kind?: string; packetsReceived?: number }) => {
    if (entry.type !== 'inbound-rtp' || (entry.kind !== 'audio' && entry.kind !== 'video')) return;
    const packets = entry.packetsReceived ?? 0;
    now.set(entry.id, packets);
    if (packets > (before.get(entry.id) ?? 0)) result[entry.kind] = true;
  });
  lastPackets.set(pc, now);
  return result;
}
