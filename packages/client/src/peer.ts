// One peer connection to one remote participant, negotiated by perfect negotiation
// (negotiation.ts holds the decisions) and kept alive by ICE restarts.
import { iceRestartDelay, isOfferCollision, shouldIgnoreOffer } from './negotiation.js';
import type {
  DataChannelLike,
  IceCandidateLike,
  PeerConfiguration,
  PeerConnectionFactory,
  PeerConnectionLike,
  StreamLike,
  TrackLike,
} from './webrtc.js';

export interface PeerSignals {
  offer(sdp: string): Promise<void>;
  answer(sdp: string): Promise<void>;
  candidate(candidate: IceCandidateLike): Promise<void>;
}

export interface PeerCallbacks {
  track(track: TrackLike, streams: readonly StreamLike[]): void;
  state(state: string): void;
  message(data: string): void;
  error(error: unknown): void;
  // What negotiation decided and why (glare, restarts), for a debug log. Never SDP.
  log(message: string): void;
  // Optional: the connection is still `new` STALL_MS after an offer/answer exchange settled
  // (impolite side only); the owner replaces it with a fresh peer connection.
  stalled?(): void;
}

// After a glare, Chromium can leave the polite side's transport gathering nothing, so the
// connection stays `new` for good and an ICE restart does not revive it (docs/demo.md, "The
// stall that kept the scenarios out of `npm test`"). The impolite side starts a fresh peer
// connection instead; its offer carries a new SDP session, so the polite side replaces its own.
export const STALL_MS = 4000;

// The data channel every peer connection carries, negotiated out of band (same id on both
// sides), so neither side has to wait for the other to open it: the app's small messages
// (mute state) travel on it.
export const DATA_CHANNEL = { label: 'hekim', id: 0 };

export class Peer {
  readonly pc: PeerConnectionLike;
  readonly channel: DataChannelLike;
  private makingOffer = false;
  private ignoreOffer = false;
  private settingRemoteAnswerPending = false;
  private pending: IceCandidateLike[] = [];
  private holdCandidates = false;
  private applyingRemote = false;
  private held: IceCandidateLike[] = [];
  private inbox: Promise<void> = Promise.resolve();
  private restartTimer: ReturnType<typeof setTimeout> | undefined;
  private stallTimer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  // Restarts done by this side, for tests and the debug log.
  iceRestarts = 0;

  constructor(
    readonly remoteUserId: string,
    public polite: boolean,
    factory: PeerConnectionFactory,
    configuration: PeerConfiguration,
    tracks: readonly { track: TrackLike; stream?: StreamLike }[],
    private readonly signals: PeerSignals,
    private readonly on: PeerCallbacks,
  ) {
    this.pc = new factory(configuration);
    this.pc.onnegotiationneeded = () => void this.negotiate();
    // Trickle ICE: every local candidate leaves as soon as it is gathered.
    this.pc.onicecandidate = (event) => {
      const c = event.candidate;
      if (!c || !c.candidate) return;
      const init: IceCandidateLike = {
        candidate: c.candidate,
        sdpMid: c.sdpMid ?? null,
        sdpMLineIndex: c.sdpMLineIndex ?? null,
      };
      if (c.usernameFragment) init.usernameFragment = c.usernameFragment;
      // Some implementations (werift) gather while setLocalDescription is still running, so
      // a candidate of a new ICE generation would overtake the description that announces it
      // and the other side would refuse it. Held until that description has been sent.
      if (this.holdCandidates) this.held.push(init);
      else this.sendCandidate(init);
    };
    this.pc.ontrack = (event) => this.on.track(event.track, event.streams ?? []);
    this.pc.onconnectionstatechange = () => this.stateChanged();
    this.channel = this.pc.createDataChannel(DATA_CHANNEL.label, {
      negotiated: true,
      id: DATA_CHANNEL.id,
    });
    this.channel.onmessage = (event) => {
      if (typeof event.data === 'string') this.on.message(event.data);
    };
    for (const { track, stream } of tracks) {
      if (stream) this.pc.addTrack(track, stream);
      else this.pc.addTrack(track);
    }
  }

  get connectionState(): string {
    return this.pc.connectionState;
  }

  // The remote side's description now: which of its peer connections we talk to
  // (negotiation.ts, isNewRemoteSession).
  get remoteSdp(): string | undefined {
    return this.pc.remoteDescription?.sdp || undefined;
  }

  // Fresh TURN credentials (`ice:servers`): used by later allocations and ICE restarts.
  setIceServers(configuration: PeerConfiguration): void {
    this.pc.setConfiguration(configuration);
  }

  // New ICE credentials make both sides gather fresh candidates; it fires negotiationneeded,
  // so the restart goes through perfect negotiation like any other offer.
  restartIce(why: string): void {
    if (this.closed) return;
    this.iceRestarts += 1;
    this.on.log(`restarting ICE (${why})`);
    this.pc.restartIce();
  }

  send(data: string): boolean {
    if (this.channel.readyState !== 'open') return false;
    this.channel.send(data);
    return true;
  }

  handleDescription(type: 'offer' | 'answer', sdp: string): Promise<void> {
    return this.inOrder(() => this.applyDescription(type, sdp));
  }

  handleCandidate(candidate: IceCandidateLike): Promise<void> {
    return this.inOrder(() => this.applyCandidate(candidate));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.restartTimer);
    clearTimeout(this.stallTimer);
    this.pc.onnegotiationneeded = null;
    this.pc.onicecandidate = null;
    this.pc.ontrack = null;
    this.pc.onconnectionstatechange = null;
    this.channel.onmessage = null;
    void Promise.resolve(this.pc.close()).catch(() => undefined);
  }

  private stateChanged(): void {
    const state = this.pc.connectionState;
    this.on.state(state);
    clearTimeout(this.restartTimer);
    const delay = iceRestartDelay(state);
    if (delay === undefined) return;
    if (delay === 0) {
      this.restartIce(state);
      return;
    }
    this.restartTimer = setTimeout(() => {
      if (iceRestartDelay(this.pc.connectionState) !== undefined) this.restartIce(state);
    }, delay);
  }

  private async negotiate(): Promise<void> {
    // The specification fires negotiationneeded only in `stable` (and again once back there
    // if still needed); werift also fires it while an offer of the other side is being
    // answered, when an implicit setLocalDescription would make an answer, not an offer.
    // For the same reason it is not acted on while a remote description is being applied
    // and answered: an offer made then would interleave with the answer.
    if (this.closed || this.applyingRemote || this.pc.signalingState !== 'stable') return;
    let sdp: string | undefined;
    this.holdCandidates = true;
    try {
      this.makingOffer = true;
      // Without an argument it creates the right description for the state, with no window
      // between createOffer and setLocalDescription for a remote offer to slip in.
      await this.pc.setLocalDescription();
      if (this.pc.localDescription?.type === 'offer') sdp = this.pc.localDescription.sdp;
    } catch (error) {
      this.on.error(error);
    } finally {
      // Only creating the offer counts as making one: holding the flag while the server
      // acknowledges would make a later legitimate offer look like glare.
      this.makingOffer = false;
    }
    if (sdp) {
      this.on.log('sending offer');
      await this.signals.offer(sdp).catch((error: unknown) => this.on.error(error));
    }
    this.releaseCandidates();
  }

  private sendCandidate(candidate: IceCandidateLike): void {
    this.signals.candidate(candidate).catch((e: unknown) => this.on.error(e));
  }

  private releaseCandidates(): void {
    this.holdCandidates = false;
    for (const c of this.held.splice(0)) this.sendCandidate(c);
  }

  // Signals are applied one at a time, in arrival order: a candidate never overtakes its
  // description.
  private inOrder(step: () => Promise<void>): Promise<void> {
    const run = this.inbox.then(step);
    this.inbox = run.catch(() => undefined);
    return run;
  }

  private async applyDescription(type: 'offer' | 'answer', sdp: string): Promise<void> {
    if (this.closed) return;
    this.applyingRemote = true;
    try {
      await this.applyRemote(type, sdp);
    } finally {
      this.applyingRemote = false;
    }
  }

  private async applyRemote(type: 'offer' | 'answer', sdp: string): Promise<void> {
    const collision = isOfferCollision(type, {
      makingOffer: this.makingOffer,
      signalingState: this.pc.signalingState,
      settingRemoteAnswerPending: this.settingRemoteAnswerPending,
    });
    this.on.log(
      `received ${type} (${this.pc.signalingState}${this.makingOffer ? ', making an offer' : ''})`,
    );
    this.ignoreOffer = shouldIgnoreOffer(this.polite, collision);
    if (this.ignoreOffer) {
      this.on.log('offers crossed: ignoring theirs (impolite)');
      return;
    }
    if (collision) this.on.log('offers crossed: rolling ours back (polite)');
    this.settingRemoteAnswerPending = type === 'answer';
    try {
      if (collision) await this.pc.setLocalDescription({ type: 'rollback' });
      await this.pc.setRemoteDescription({ type, sdp });
    } finally {
      this.settingRemoteAnswerPending = false;
    }
    const queued = this.pending;
    this.pending = [];
    for (const c of queued) await this.pc.addIceCandidate(c);
    if (type === 'offer') {
      this.holdCandidates = true;
      try {
        await this.pc.setLocalDescription();
        const answer = this.pc.localDescription?.sdp;
        if (answer) await this.signals.answer(answer);
      } finally {
        this.releaseCandidates();
      }
    }
    this.watchStall();
  }

  // The exchange settled: if the connection is still `new` STALL_MS later, it is stuck.
  private watchStall(): void {
    if (this.polite || !this.on.stalled) return;
    clearTimeout(this.stallTimer);
    this.stallTimer = setTimeout(() => {
      if (this.closed || this.polite || this.pc.connectionState !== 'new') return;
      if (this.pc.signalingState !== 'stable') return;
      this.on.log('still new after negotiating: starting a fresh connection');
      this.on.stalled?.();
    }, STALL_MS);
  }

  private async applyCandidate(candidate: IceCandidateLike): Promise<void> {
    if (this.closed) return;
    // Candidates that follow an offer we ignored belong to it; the other side rolls it back.
    if (this.ignoreOffer) return;
    if (!this.pc.remoteDescription) {
      this.pending.push(candidate);
      return;
    }
    try {
      await this.pc.addIceCandidate(candidate);
    } catch (error) {
      // A candidate of an ICE generation that a restart has replaced: harmless, and expected
      // while a restart is under way. Logged, not raised.
      this.on.log(`candidate not applied: ${String(error)}`);
    }
  }
}
