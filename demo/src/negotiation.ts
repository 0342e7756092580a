// The decisions of "perfect negotiation" (W3C WebRTC spec, §10.7), kept pure so they can be
// read and unit-tested apart from the RTCPeerConnection plumbing in peer.ts.
//
// Either side may start a negotiation at any time (adding a track, restarting ICE), so two
// offers can cross on the wire ("glare"). Instead of a lock, the two sides take different
// roles: the polite peer yields (rolls its own offer back and answers the other one), the
// impolite peer ignores the incoming offer and waits for the answer to its own. Hekim
// assigns the roles in the room:join answer (`polite`), so they are never the same.

export interface NegotiationState {
  // An offer of ours is being created and set (between createOffer and setLocalDescription).
  makingOffer: boolean;
  signalingState: RTCSignalingState;
  // We are applying the answer to our offer: the state is not `stable` yet but will be.
  settingRemoteAnswerPending: boolean;
}

// Would accepting this description now collide with an offer of our own?
export function isOfferCollision(type: RTCSdpType, state: NegotiationState): boolean {
  if (type !== 'offer') return false;
  const readyForOffer =
    !state.makingOffer && (state.signalingState === 'stable' || state.settingRemoteAnswerPending);
  return !readyForOffer;
}

// The impolite peer drops colliding offers; the polite one always accepts (the browser rolls
// its pending offer back implicitly in setRemoteDescription).
export function shouldIgnoreOffer(polite: boolean, collision: boolean): boolean {
  return !polite && collision;
}

// The join answer gives the role of the one who joins: Hekim makes the newcomer polite, so
// those already in the room are impolite towards one announced by room:participant-joined.
export const POLITE_TOWARDS_NEWCOMER = false;

// A direct call has no join answer: the caller offers first and is impolite, the callee is
// polite.
export function politeInCall(isCaller: boolean): boolean {
  return !isCaller;
}

// When to restart ICE: `failed` means every candidate pair has stopped working (network
// change, NAT binding lost, TURN allocation gone); only new candidates can recover. A
// `disconnected` state often heals by itself, so it is given time first.
export function needsIceRestart(state: RTCPeerConnectionState): boolean {
  return state === 'failed';
}

// A connection that is still `new` a while after an offer/answer exchange settled has never
// tried a single candidate pair: one side gathered no candidates. Seen with Chromium when the
// polite side's implicit rollback (glare) meets its ICE gathering: the transport of its answer
// then gathers nothing, and not even an ICE restart revives it. A new peer connection does;
// only the impolite side starts one, so that two fresh starts cannot cross.
export const STALLED_ICE_MS = 4000;

export function needsStalledIceRestart(
  polite: boolean,
  connectionState: RTCPeerConnectionState,
  signalingState: RTCSignalingState,
): boolean {
  return !polite && connectionState === 'new' && signalingState === 'stable';
}

// The session id of an SDP's origin line (`o=- 4611731400430051336 2 IN IP4 127.0.0.1`). It
// stays the same across renegotiations of one RTCPeerConnection (JSEP) and differs for a new
// one, so an offer with another id comes from a peer that reloaded or rejoined.
export function sdpSessionId(sdp: string): string | undefined {
  return /^o=\S+ (\S+) /m.exec(sdp)?.[1];
}

// Must this offer replace our connection to its sender? Only when we were connected to
// another of its peer connections: our old connection can never match the new one (other
// DTLS certificate), so it is closed and a fresh one answers.
export function isNewRemoteSession(current: string | undefined, offerSdp: string): boolean {
  const incoming = sdpSessionId(offerSdp);
  return current !== undefined && incoming !== undefined && incoming !== current;
}
