// Media controls on live peer connections (docs/sdk.md, "Media controls"): what an app does
// when a person shares their screen, switches camera or microphone, or turns one off, and how
// it tells what the other side is sending. ConsultationSession applies them to every peer
// connection of the session; these functions work on one.
//
// - Replacing the outgoing track (another camera, a shared screen): RTCRtpSender.replaceTrack,
//   no renegotiation; the other side's receiver keeps its track and simply gets new frames.
// - Sending on/off: the transceiver's direction becomes `recvonly` (or back `sendrecv`). The
//   change goes through perfect negotiation like any other (negotiationneeded), and the
//   other side stops receiving packets: its "muted" indicator, with no extra signaling.
// - What arrives: inbound-rtp packets counted since the last look, per kind.
import type { PeerConnectionLike, StatsEntry, TrackLike, TransceiverLike } from './webrtc.js';

export type MediaKind = 'audio' | 'video';

// The transceivers of one kind that still carry media (by the sender's track, or the
// receiver's when nothing is sent).
export function transceiversOf(pc: PeerConnectionLike, kind: MediaKind): TransceiverLike[] {
  if (!pc.getTransceivers) return [];
  return pc
    .getTransceivers()
    .filter(
      (tr) =>
        tr.currentDirection !== 'stopped' &&
        (tr.sender.track?.kind ?? tr.receiver.track.kind) === kind,
    );
}

// Sends `track` in place of the current outgoing track of its kind; resolves with the number of
// senders that now send it.
export async function replaceOutgoingTrack(
  pc: PeerConnectionLike,
  kind: MediaKind,
  track: TrackLike | null,
): Promise<number> {
  if (pc.connectionState === 'closed') return 0;
  const transceivers = transceiversOf(pc, kind);
  await Promise.all(transceivers.map((tr) => tr.sender.replaceTrack(track)));
  return transceivers.length;
}

// Stops (or resumes) sending one kind; true when a direction changed (a renegotiation follows).
export function setSending(pc: PeerConnectionLike, kind: MediaKind, sending: boolean): boolean {
  if (pc.connectionState === 'closed') return false;
  const direction = sending ? 'sendrecv' : 'recvonly';
  let changed = false;
  for (const tr of transceiversOf(pc, kind)) {
    if (tr.direction === direction) continue;
    tr.direction = direction;
    changed = true;
  }
  return changed;
}

export interface RemoteMedia {
  audio: boolean;
  video: boolean;
}

// Whether packets of each kind arrived since the previous reading of the same entries.
export function arrivingSince(
  entries: readonly StatsEntry[],
  before: ReadonlyMap<string, number>,
): { media: RemoteMedia; packets: Map<string, number> } {
  const packets = new Map<string, number>();
  const media: RemoteMedia = { audio: false, video: false };
  for (const entry of entries) {
    if (entry.type !== 'inbound-rtp') continue;
    const kind = entry.kind;
    if (kind !== 'audio' && kind !== 'video') continue;
    const count = typeof entry.packetsReceived === 'number' ? entry.packetsReceived : 0;
    packets.set(entry.id, count);
    if (count > (before.get(entry.id) ?? 0)) media[kind] = true;
  }
  return { media, packets };
}
