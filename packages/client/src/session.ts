// A consultation session: this device's presence in one room and its peer connections to
// everyone else there (docs/sdk.md). It joins (or knocks and waits to be admitted), negotiates
// with each participant by perfect negotiation using the server's `polite` flag, restarts ICE
// on failure with the freshest TURN credentials (`ice:servers`), rejoins within the reconnect
// grace after the signaling connection drops without ending the session, and reports the
// connection's quality (`call:stats` in a direct call).
import type {
  ChatMessage,
  IceServer,
  JoinedAnswer,
  Participant,
} from './contract/signaling-events.js';
import { Emitter } from './emitter.js';
import { HekimError } from './errors.js';
import {
  arrivingSince,
  type MediaKind,
  type RemoteMedia,
  replaceOutgoingTrack,
  setSending,
} from './media.js';
import { isNewRemoteSession, POLITE_TOWARDS_NEWCOMER } from './negotiation.js';
import { Peer } from './peer.js';
import {
  DEFAULT_THRESHOLDS,
  type QualityLevel,
  type QualitySample,
  type QualityThresholds,
  QualityTracker,
  readStats,
  type StatsCounters,
  statsEntries,
} from './quality.js';
import type { ConnectionChange, SignalingClient } from './signaling.js';
import type {
  IceCandidateLike,
  PeerConfiguration,
  StreamLike,
  TrackLike,
  WebRtc,
} from './webrtc.js';

export type SessionState =
  | 'idle'
  | 'joining'
  // Knocking at a waiting room; `queue` events tell the place in the clinician's queue.
  | 'waiting'
  | 'joined'
  // The signaling connection dropped; the server keeps our place for the reconnect grace.
  | 'reconnecting'
  | 'ended';

export interface SessionEvents {
  state: { state: SessionState; reason?: string };
  'participant-joined': Participant;
  'participant-left': { userId: string };
  'peer-state': { userId: string; state: string };
  track: { userId: string; track: TrackLike; streams: readonly StreamLike[] };
  queue: { position: number; estimatedWaitMinutes: number };
  'chat-message': ChatMessage;
  'chat-typing': { userId: string };
  'chat-read': { userId: string; messageId: string };
  quality: { level: QualityLevel; sample: QualitySample; userId: string };
  // A small message from a participant over the peer connection's data channel (mute state).
  'peer-message': { userId: string; data: unknown };
  // Back after a drop: `resumed` when the server kept the same session (within the grace).
  reconnected: { resumed: boolean };
  error: { error: unknown };
  log: { message: string };
}

export interface SessionOptions {
  signaling: SignalingClient;
  webrtc: WebRtc;
  roomId: string;
  // What this device sends: each track with the stream it belongs to.
  localTracks?: readonly { track: TrackLike; stream?: StreamLike }[];
  // 'relay' forces media through TURN (hides the device's addresses from the other side).
  iceTransportPolicy?: 'all' | 'relay';
  // How often getStats() is read for the quality level (and `call:stats` sent); 0: never.
  statsIntervalMs?: number;
  thresholds?: QualityThresholds;
  // Set for a direct call's room: quality readings are reported to the server as `call:stats`.
  callId?: string;
  // Makes chat `clientId`s; default crypto.randomUUID where there is one.
  newId?: () => string;
}

export const DEFAULT_STATS_INTERVAL_MS = 5000;

export class ConsultationSession extends Emitter<SessionEvents> {
  readonly roomId: string;
  callId: string | undefined;
  sessionId: string | undefined;
  private current: SessionState = 'idle';
  private readonly peers = new Map<string, Peer>();
  private readonly participantsById = new Map<string, Participant>();
  private readonly trackers = new Map<string, QualityTracker>();
  private readonly counters = new Map<string, StatsCounters>();
  private iceServers: IceServer[] = [];
  private polite = true;
  private statsTimer: ReturnType<typeof setInterval> | undefined;
  private readonly unlisten: (() => void)[] = [];
  private readonly thresholds: QualityThresholds;
  // Media controls (media.ts): what new peer connections send, and the last packet counts.
  private localTracks: { track: TrackLike; stream?: StreamLike }[];
  private readonly notSending = new Set<MediaKind>();
  private readonly arrived = new Map<string, Map<string, number>>();

  constructor(private readonly options: SessionOptions) {
    super();
    this.roomId = options.roomId;
    this.callId = options.callId;
    this.thresholds = options.thresholds ?? DEFAULT_THRESHOLDS;
    this.localTracks = [...(options.localTracks ?? [])];
    this.listen();
  }

  get state(): SessionState {
    return this.current;
  }

  get participants(): Participant[] {
    return [...this.participantsById.values()];
  }

  // The peer connection to one participant (for getStats, senders, replaceTrack).
  peer(userId: string): Peer | undefined {
    return this.peers.get(userId);
  }

  // Joins the room: resolves `joined`, or `waiting` behind a waiting room (then `state`
  // becomes `joined` when the host admits us).
  async join(): Promise<SessionState> {
    this.setState('joining');
    try {
      const answer = await this.options.signaling.request('room:join', { roomId: this.roomId });
      if ('waiting' in answer) this.setState('waiting');
      else this.attach(answer);
    } catch (error) {
      this.setState('idle');
      throw error;
    }
    return this.current;
  }

  // Takes a join answer the server gave elsewhere: `call:accept`'s ack or `call:accepted`
  // (docs/calls.md: the server joins both devices to the call's room itself).
  attach(answer: JoinedAnswer): void {
    const resumed = this.sessionId !== undefined && this.sessionId === answer.sessionId;
    if (this.sessionId !== undefined && !resumed) {
      // The grace ran out while we were away: a new session, new connections.
      this.closePeers();
      this.participantsById.clear();
    }
    this.sessionId = answer.sessionId;
    this.polite = answer.polite;
    this.setIceServers(answer.iceServers);
    const present = new Set(answer.participants.map((p) => p.userId));
    for (const [userId, peer] of this.peers) {
      if (!present.has(userId)) this.dropPeer(userId);
      else {
        // We are the newcomer again (polite); a connection that did not survive the drop is
        // restarted with the fresh credentials.
        peer.polite = this.polite;
        if (peer.connectionState !== 'connected') peer.restartIce('rejoined');
      }
    }
    for (const p of answer.participants) {
      this.participantsById.set(p.userId, p);
      if (!this.peers.has(p.userId)) this.createPeer(p.userId, this.polite);
    }
    const wasReconnecting = this.current === 'reconnecting';
    this.setState('joined');
    if (wasReconnecting) this.emit('reconnected', { resumed });
    this.startStats();
  }

  // Leaves the room (`room:leave`) and closes every peer connection.
  async leave(): Promise<void> {
    if (this.current === 'ended') return;
    try {
      if (this.options.signaling.connected) {
        await this.options.signaling.request('room:leave', { roomId: this.roomId });
      }
    } finally {
      this.end('left');
    }
  }

  // Sends a small JSON message to every participant over the data channels.
  broadcast(data: unknown): void {
    const text = JSON.stringify(data);
    for (const peer of this.peers.values()) peer.send(text);
  }

  // Sends `track` instead of the outgoing track of its kind on every peer connection (screen
  // share, another camera or microphone), with no renegotiation; connections made later send
  // it too. Resolves with the number of senders replaced.
  async replaceTrack(kind: MediaKind, track: TrackLike): Promise<number> {
    this.localTracks = this.localTracks.map((t) => (t.track.kind === kind ? { track } : t));
    let replaced = 0;
    for (const peer of this.peers.values())
      replaced += await replaceOutgoingTrack(peer.pc, kind, track);
    return replaced;
  }

  // Stops (or resumes) sending one kind to everyone: the other side receives no packets of it
  // (its "muted" indicator, see remoteMedia). Applies to connections made later as well.
  setSending(kind: MediaKind, sending: boolean): void {
    if (sending) this.notSending.delete(kind);
    else this.notSending.add(kind);
    for (const peer of this.peers.values()) setSending(peer.pc, kind, sending);
  }

  // What one participant is sending now: packets of each kind arrived since the last call for
  // them (call it about once a second); undefined without a connected peer connection.
  async remoteMedia(userId: string): Promise<RemoteMedia | undefined> {
    const peer = this.peers.get(userId);
    if (!peer || peer.connectionState !== 'connected') return undefined;
    const { media, packets } = arrivingSince(
      statsEntries(await peer.pc.getStats()),
      this.arrived.get(userId) ?? new Map(),
    );
    this.arrived.set(userId, packets);
    return media;
  }

  // Chat (docs/chat.md). `clientId` makes a resend after a reconnect idempotent.
  async sendChat(
    message: { text: string } | { attachmentId: string },
    clientId = this.newId(),
  ): Promise<ChatMessage> {
    const answer = await this.options.signaling.request('chat:send', {
      roomId: this.roomId,
      clientId,
      ...message,
    });
    return answer.message;
  }

  async typing(): Promise<void> {
    await this.options.signaling.request('chat:typing', { roomId: this.roomId });
  }

  async markRead(messageId: string): Promise<void> {
    await this.options.signaling.request('chat:read', { roomId: this.roomId, messageId });
  }

  // Reads every peer connection's stats once: updates the quality level, emits `quality`,
  // and in a call reports the worst reading as `call:stats`. Runs on a timer once joined.
  async sampleQuality(nowMs = Date.now()): Promise<QualityLevel | undefined> {
    let worst: { level: QualityLevel; sample: QualitySample } | undefined;
    const rank = { good: 0, fair: 1, poor: 2 };
    for (const [userId, peer] of this.peers) {
      if (peer.connectionState !== 'connected') continue;
      let report;
      try {
        report = await peer.pc.getStats();
      } catch {
        continue;
      }
      const { sample, counters } = readStats(
        statsEntries(report),
        this.counters.get(userId),
        nowMs,
      );
      this.counters.set(userId, counters);
      let tracker = this.trackers.get(userId);
      if (!tracker) {
        tracker = new QualityTracker(this.thresholds);
        this.trackers.set(userId, tracker);
      }
      const level = tracker.push(sample);
      if (level === undefined) continue;
      this.emit('quality', { level, sample, userId });
      if (!worst || rank[level] > rank[worst.level]) worst = { level, sample };
    }
    if (worst && this.callId && this.options.signaling.connected) {
      await this.options.signaling
        .request('call:stats', { callId: this.callId, ...worst.sample })
        .catch((error: unknown) => this.emit('error', { error }));
    }
    return worst?.level;
  }

  // Ends the session here without telling the server (the server ended it, or leave()).
  end(reason: string): void {
    if (this.current === 'ended') return;
    clearInterval(this.statsTimer);
    this.closePeers();
    for (const off of this.unlisten.splice(0)) off();
    this.setState('ended', reason);
  }

  private newId(): string {
    if (this.options.newId) return this.options.newId();
    const c = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
    if (c?.randomUUID) return c.randomUUID();
    throw new HekimError({
      code: 'VALIDATION_FAILED',
      message: 'no crypto.randomUUID here: pass SessionOptions.newId',
    });
  }

  private listen(): void {
    const s = this.options.signaling;
    const mine = (p: { roomId: string }): boolean => p.roomId === this.roomId;
    const on = this.unlisten;
    on.push(
      s.listen('room:admitted', (p) => {
        if (mine(p)) this.attach(p);
      }),
      s.listen('room:participant-joined', (p) => {
        if (!mine(p) || this.current !== 'joined') return;
        const { roomId: _room, ...participant } = p;
        this.participantsById.set(p.userId, participant);
        this.emit('participant-joined', participant);
        const existing = this.peers.get(p.userId);
        // They came back within the grace: renegotiate (ICE restart) unless media held up.
        if (existing) {
          existing.polite = POLITE_TOWARDS_NEWCOMER;
          if (existing.connectionState !== 'connected') existing.restartIce('participant rejoined');
        } else {
          this.createPeer(p.userId, POLITE_TOWARDS_NEWCOMER);
        }
      }),
      s.listen('room:participant-left', (p) => {
        if (!mine(p)) return;
        this.participantsById.delete(p.userId);
        this.dropPeer(p.userId);
        this.emit('participant-left', { userId: p.userId });
      }),
      s.listen('call:offer', (p) => {
        if (mine(p)) this.receiveDescription(p.from, 'offer', p.sdp);
      }),
      s.listen('call:answer', (p) => {
        if (mine(p)) this.receiveDescription(p.from, 'answer', p.sdp);
      }),
      s.listen('call:ice-candidate', (p) => {
        if (!mine(p)) return;
        this.peers
          .get(p.from)
          ?.handleCandidate(p.candidate)
          .catch((error: unknown) => this.emit('error', { error }));
      }),
      s.listen('ice:servers', (p) => this.setIceServers(p.iceServers)),
      s.listen('queue:update', (p) => {
        if (mine(p))
          this.emit('queue', {
            position: p.position,
            estimatedWaitMinutes: p.estimatedWaitMinutes,
          });
      }),
      s.listen('chat:message', (p) => {
        if (mine(p.message)) this.emit('chat-message', p.message);
      }),
      s.listen('chat:typing', (p) => {
        if (mine(p)) this.emit('chat-typing', { userId: p.userId });
      }),
      s.listen('chat:read', (p) => {
        if (mine(p)) this.emit('chat-read', { userId: p.userId, messageId: p.messageId });
      }),
      s.listen('room:session-ended', (p) => {
        if (mine(p)) this.end(p.reason);
      }),
      s.listen('room:removed', (p) => {
        if (mine(p)) this.end(p.reason);
      }),
      s.listen('room:replaced', (p) => {
        if (mine(p)) this.end('replaced');
      }),
      s.on('connection', (change) => this.connectionChanged(change)),
    );
  }

  // The signaling connection dropped and came back: rejoin within the grace. Media may have
  // kept flowing meanwhile (it does not go through Hekim); the session is not ended here.
  private connectionChanged(change: ConnectionChange): void {
    if (this.current === 'ended' || this.current === 'idle') return;
    if (change.state === 'reconnecting') {
      if (this.current === 'joined' || this.current === 'waiting') this.setState('reconnecting');
    } else if (change.state === 'connected' && this.current === 'reconnecting') {
      this.options.signaling
        .request('room:join', { roomId: this.roomId })
        .then((answer) => {
          if ('waiting' in answer) this.setState('waiting');
          else this.attach(answer);
        })
        .catch((error: unknown) => {
          this.emit('error', { error });
          this.end(error instanceof HekimError ? error.code : 'rejoin failed');
        });
    } else if (change.state === 'closed') {
      this.end(change.reason ?? 'disconnected');
    }
  }

  private receiveDescription(from: string, type: 'offer' | 'answer', sdp: string): void {
    let peer = this.peers.get(from);
    if (type === 'offer' && peer && isNewRemoteSession(peer.remoteSdp, sdp)) {
      // They reloaded or rejoined with a fresh connection: ours cannot match it.
      this.emit('log', { message: `${from}: new remote connection, replacing ours` });
      const polite = peer.polite;
      this.dropPeer(from);
      peer = this.createPeer(from, polite);
    }
    // An offer from someone we have not heard join yet (the events raced): we were here first.
    if (!peer && type === 'offer') peer = this.createPeer(from, POLITE_TOWARDS_NEWCOMER);
    peer?.handleDescription(type, sdp).catch((error: unknown) => this.emit('error', { error }));
  }

  private configuration(): PeerConfiguration {
    const config: PeerConfiguration = { iceServers: this.iceServers };
    if (this.options.iceTransportPolicy)
      config.iceTransportPolicy = this.options.iceTransportPolicy;
    return config;
  }

  private setIceServers(iceServers: IceServer[]): void {
    this.iceServers = iceServers;
    for (const peer of this.peers.values()) peer.setIceServers(this.configuration());
  }

  private createPeer(userId: string, polite: boolean): Peer {
    const s = this.options.signaling;
    const roomId = this.roomId;
    const peer = new Peer(
      userId,
      polite,
      this.options.webrtc.RTCPeerConnection,
      this.configuration(),
      this.localTracks,
      {
        offer: async (sdp) => void (await s.request('call:offer', { roomId, to: userId, sdp })),
        answer: async (sdp) => void (await s.request('call:answer', { roomId, to: userId, sdp })),
        candidate: async (candidate: IceCandidateLike) =>
          void (await s.request('call:ice-candidate', { roomId, to: userId, candidate })),
      },
      {
        track: (track, streams) => this.emit('track', { userId, track, streams }),
        state: (state) => this.emit('peer-state', { userId, state }),
        message: (data) => {
          try {
            this.emit('peer-message', { userId, data: JSON.parse(data) as unknown });
          } catch {
            // Not JSON: not one of ours.
          }
        },
        error: (error) => this.emit('error', { error }),
        log: (message) => this.emit('log', { message: `${userId}: ${message}` }),
        stalled: () => this.replaceStalled(userId, peer),
      },
    );
    for (const kind of this.notSending) setSending(peer.pc, kind, false);
    this.peers.set(userId, peer);
    return peer;
  }

  // A connection stuck at `new` (peer.ts, STALL_MS): a fresh one takes its place.
  private replaceStalled(userId: string, stalled: Peer): void {
    if (this.peers.get(userId) !== stalled || this.current === 'ended') return;
    this.dropPeer(userId);
    this.createPeer(userId, stalled.polite);
  }

  private dropPeer(userId: string): void {
    this.peers.get(userId)?.close();
    this.peers.delete(userId);
    this.trackers.delete(userId);
    this.counters.delete(userId);
    this.arrived.delete(userId);
  }

  private closePeers(): void {
    for (const userId of [...this.peers.keys()]) this.dropPeer(userId);
  }

  private startStats(): void {
    const every = this.options.statsIntervalMs ?? DEFAULT_STATS_INTERVAL_MS;
    if (every <= 0 || this.statsTimer !== undefined) return;
    this.statsTimer = setInterval(() => {
      void this.sampleQuality().catch((error: unknown) => this.emit('error', { error }));
    }, every);
  }

  private setState(state: SessionState, reason?: string): void {
    if (this.current === state) return;
    this.current = state;
    this.emit('state', reason === undefined ? { state } : { state, reason });
  }
}
