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
