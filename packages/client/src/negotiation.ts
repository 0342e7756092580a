// The decisions of perfect negotiation (W3C WebRTC §10.7), kept pure for unit tests; the
// RTCPeerConnection plumbing that applies them is peer.ts.
//
// Either side may start a negotiation at any time (adding a track, an ICE restart), so two
// offers can cross ("glare"). The polite side yields: it rolls its own offer back and answers.
// The impolite side ignores the crossing offer and waits for the answer to its own. Hekim
// hands out the roles in the join answer (`polite`): the newcomer is polite, and those already
// in the room are impolite towards a newcomer announced by `room:participant-joined`.

export interface NegotiationState {
  makingOffer: boolean;
  signalingState: string;
  // Our answer-to-offer is being applied: not `stable` yet, but about to be.
  settingRemoteAnswerPending: boolean;
}

// Would accepting this description now collide with an offer of our own?
export function isOfferCollision(type: string, state: NegotiationState): boolean {
  if (type !== 'offer') return false;
  const ready =
    !state.makingOffer && (state.signalingState === 'stable' || state.settingRemoteAnswerPending);
  return !ready;
}

export function shouldIgnoreOffer(polite: boolean, collision: boolean): boolean {
  return !polite && collision;
}

// Those already in the room are impolite towards a newcomer.
export const POLITE_TOWARDS_NEWCOMER = false;

// `failed`: every candidate pair stopped working (network change, NAT binding or TURN
// allocation gone); only new candidates recover, so restart ICE at once. `disconnected` often
// heals by itself (a brief loss), so it gets DISCONNECTED_GRACE_MS first.
export const DISCONNECTED_GRACE_MS = 3000;

export function iceRestartDelay(state: string): number | undefined {
  if (state === 'failed') return 0;
  if (state === 'disconnected') return DISCONNECTED_GRACE_MS;
  return undefined;
}

// The SDP origin line's session id (`o=- 4611731400430051336 2 IN IP4 …`). libwebrtc
// (browsers, react-native-webrtc) keeps it across renegotiations of one RTCPeerConnection.
export function sdpSessionId(sdp: string): string | undefined {
  return /^o=\S+ (\S+) /m.exec(sdp)?.[1];
}

// The DTLS certificate's fingerprint: libwebrtc makes a certificate per RTCPeerConnection.
export function sdpFingerprint(sdp: string): string | undefined {
  return /^a=fingerprint:(\S+ \S+)/m.exec(sdp)?.[1]?.toUpperCase();
}

// Is this offer from another of the sender's peer connections (they reloaded, or rejoined
// with a fresh connection)? Ours cannot apply it (other certificate): it must be replaced.
// Both the origin's session id and the certificate must differ: an ICE restart changes
// neither in libwebrtc, and implementations that draw a new session id for every offer
// (werift) or share one certificate between connections (werift) are never misjudged as new,
// which would make both sides replace their connections in turn, for ever.
export function isNewRemoteSession(currentSdp: string | undefined, offerSdp: string): boolean {
  if (currentSdp === undefined) return false;
  const [was, is] = [sdpSessionId(currentSdp), sdpSessionId(offerSdp)];
  const [cert, newCert] = [sdpFingerprint(currentSdp), sdpFingerprint(offerSdp)];
  return (
    was !== undefined &&
    is !== undefined &&
    was !== is &&
    cert !== undefined &&
    newCert !== undefined &&
    cert !== newCert
  );
}
