// One RTCPeerConnection to one remote participant, negotiated with "perfect negotiation"
// (see negotiation.ts for the decisions and why they settle glare).
import {
  isOfferCollision,
  needsIceRestart,
  needsStalledIceRestart,
  sdpSessionId,
  shouldIgnoreOffer,
  STALLED_ICE_MS,
} from './negotiation.js';

export interface PeerSignals {
  sendOffer(sdp: string): Promise<unknown>;
  sendAnswer(sdp: string): Promise<unknown>;
  sendCandidate(candidate: RTCIceCandidateInit): Promise<unknown>;
}

export interface PeerEvents {
  onRemoteStream(stream: MediaStream): void;
  onStateChange(state: RTCPeerConnectionState): void;
  onError(error: unknown): void;
  // The connection never got ICE going after negotiation (see needsStalledIceRestart): the
  // owner replaces it with a new RTCPeerConnection.
  onStalled?(): void;
  // A line for the page's event log: what negotiation did and why (glare, restarts).
  onLog?(message: string): void;
}

export class Peer {
  readonly pc: RTCPeerConnection;
  private makingOffer = false;
  private ignoreOffer = false;
  private settingRemoteAnswerPending = false;
  // Candidates that arrived before the remote description: addIceCandidate() rejects without
  // one (the candidate would belong to no media section yet), so they wait here.
  private pendingCandidates: RTCIceCandidateInit[] = [];
  private inbox: Promise<void> = Promise.resolve();
  private stallTimer: number | undefined;
  private readonly remoteStream = new MediaStream();

  constructor(
    readonly remoteUserId: string,
    readonly polite: boolean,
    config: RTCConfiguration,
    local: MediaStream | undefined,
    private readonly signals: PeerSignals,
    private readonly events: PeerEvents,
  ) {
    this.pc = new RTCPeerConnection(config);
    this.pc.onnegotiationneeded = () => void this.negotiate();
    // Trickle ICE: each local candidate goes out as soon as it is gathered, instead of
    // waiting for the full list inside the SDP. `null` marks the end of gathering.
    this.pc.onicecandidate = ({ candidate }) => {
      if (candidate)
        this.signals
          .sendCandidate(candidate.toJSON())
          .catch((e: unknown) => this.events.onError(e));
    };
    this.pc.ontrack = ({ track }) => {
      this.remoteStream.addTrack(track);
      this.events.onRemoteStream(this.remoteStream);
    };
    this.pc.onconnectionstatechange = () => {
      const state = this.pc.connectionState;
      this.events.onStateChange(state);
      // ICE restart: new ICE credentials make both sides gather fresh candidates. It fires
      // negotiationneeded, so it goes through the same perfect negotiation as any offer.
      if (needsIceRestart(state)) {
        this.log('connection failed: restarting ICE');
        this.pc.restartIce();
      }
    };
    // Each time an offer/answer exchange settles, check a little later that ICE got going
    // (see needsStalledIceRestart). An ICE restart does not revive such a connection, a new
    // one does: its offer carries a new SDP session id, so the other side replaces its own
    // connection too (PeerGroup.receive), exactly as after a reload.
    this.pc.onsignalingstatechange = () => {
      if (this.pc.signalingState !== 'stable') return;
      window.clearTimeout(this.stallTimer);
      this.stallTimer = window.setTimeout(() => {
        if (needsStalledIceRestart(this.polite, this.pc.connectionState, this.pc.signalingState)) {
          this.log('no ICE progress after negotiation: starting over with a new connection');
          this.events.onStalled?.();
        }
      }, STALLED_ICE_MS);
    };
    // Adding tracks fires negotiationneeded: both sides offer, and the roles settle it.
    for (const track of local?.getTracks() ?? []) this.pc.addTrack(track, local as MediaStream);
  }

  // Which of the remote side's peer connections we are talking to (see isNewRemoteSession).
  get remoteSessionId(): string | undefined {
    const sdp = this.pc.remoteDescription?.sdp;
    return sdp ? sdpSessionId(sdp) : undefined;
  }

  // TURN credentials expire; Hekim pushes fresh ones (ice:servers) while we are in the room.
  // setConfiguration applies them to future allocations and ICE restarts without touching the
  // running connection.
  updateIceServers(iceServers: RTCIceServer[]): void {
    this.pc.setConfiguration({ ...this.pc.getConfiguration(), iceServers });
  }

  private async negotiate(): Promise<void> {
    let sdp: string | undefined;
    try {
      this.makingOffer = true;
      // Without an argument, setLocalDescription creates the right description for the
      // current state (an offer here), with no window for a remote offer to slip in between
      // createOffer and setLocalDescription.
      await this.pc.setLocalDescription();
      sdp = this.pc.localDescription?.sdp;
    } catch (error) {
      this.events.onError(error);
    } finally {
      // Only the creation of the offer counts as "making" it. Holding the flag while the
      // server acknowledges the send would make a later, legitimate offer from the other
      // side look like glare, and the impolite side would drop it for good.
      this.makingOffer = false;
    }
    if (!sdp) return;
    this.log('sending offer');
    await this.signals.sendOffer(sdp).catch((error: unknown) => this.events.onError(error));
  }

  // Signals are applied one at a time, in the order they arrived: each step awaits the
  // browser, and a candidate must never overtake the description it belongs to.
  handleDescription(type: 'offer' | 'answer', sdp: string): Promise<void> {
    return this.inOrder(() => this.applyDescription(type, sdp));
  }

  handleCandidate(candidate: RTCIceCandidateInit): Promise<void> {
    return this.inOrder(() => this.applyCandidate(candidate));
  }

  private inOrder(step: () => Promise<void>): Promise<void> {
    const run = this.inbox.then(step);
    // The next signal waits for this one, whether it worked or not; the caller sees the error.
    this.inbox = run.catch(() => undefined);
    return run;
  }

  private async applyDescription(type: 'offer' | 'answer', sdp: string): Promise<void> {
    const collision = isOfferCollision(type, {
      makingOffer: this.makingOffer,
      signalingState: this.pc.signalingState,
      settingRemoteAnswerPending: this.settingRemoteAnswerPending,
    });
    this.ignoreOffer = shouldIgnoreOffer(this.polite, collision);
    if (this.ignoreOffer) {
      this.log('offers crossed: ignoring theirs (impolite), waiting for their answer');
      return;
    }
    if (collision) this.log('offers crossed: rolling ours back (polite), answering theirs');
    else this.log(`received ${type}`);

    this.settingRemoteAnswerPending = type === 'answer';
    try {
      // For the polite peer in a collision, this rolls our own offer back first.
      await this.pc.setRemoteDescription({ type, sdp });
    } finally {
      this.settingRemoteAnswerPending = false;
    }
    await this.flushCandidates();
    if (type === 'offer') {
      await this.pc.setLocalDescription();
      const answer = this.pc.localDescription?.sdp;
      if (answer) await this.signals.sendAnswer(answer);
    }
  }

  private log(message: string): void {
    this.events.onLog?.(`peer ${this.remoteUserId.slice(0, 8)}: ${message}`);
  }

  private async applyCandidate(candidate: RTCIceCandidateInit): Promise<void> {
    // Signals arrive in order, so candidates that follow an offer we ignored (glare, impolite
    // side) belong to that offer: the other side is about to roll it back. Drop them.
    if (this.ignoreOffer) return;
    if (!this.pc.remoteDescription) {
      this.pendingCandidates.push(candidate);
      return;
    }
    await this.pc.addIceCandidate(candidate);
  }

  private async flushCandidates(): Promise<void> {
    const queued = this.pendingCandidates;
    this.pendingCandidates = [];
    for (const candidate of queued) await this.pc.addIceCandidate(candidate);
  }

  close(): void {
    window.clearTimeout(this.stallTimer);
    this.pc.onsignalingstatechange = null;
    this.pc.onnegotiationneeded = null;
    this.pc.onicecandidate = null;
    this.pc.ontrack = null;
    this.pc.onconnectionstatechange = null;
    this.pc.close();
  }
}
