// The part of the WebRTC API the SDK uses, described by shape. Browsers, react-native-webrtc
// and werift (Node) each provide it; the application passes its implementation in
// (`WebRtc`), so the SDK itself never reaches for a global and never needs the DOM's types.

// Event handler properties are declared with method syntax (bivariant parameters), so that an
// implementation whose handlers take its own richer event types still fits.
export type Handler<E> = { bivarianceHack(event: E): unknown }['bivarianceHack'] | null;

export type SdpType = 'offer' | 'answer' | 'pranswer' | 'rollback';

export interface SessionDescriptionInit {
  type: SdpType;
  sdp?: string;
}

export interface IceCandidateLike {
  candidate: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
  usernameFragment?: string | null;
}

export interface IceServerConfig {
  urls: string | string[];
  username?: string;
  credential?: string;
}

export interface PeerConfiguration {
  iceServers?: IceServerConfig[];
  iceTransportPolicy?: 'all' | 'relay';
}

export type PeerConnectionState =
  'new' | 'connecting' | 'connected' | 'disconnected' | 'failed' | 'closed';

export type SignalingStateName =
  | 'stable'
  | 'have-local-offer'
  | 'have-remote-offer'
  | 'have-local-pranswer'
  | 'have-remote-pranswer'
  | 'closed';

// A media track: a browser's MediaStreamTrack, react-native-webrtc's or werift's.
export interface TrackLike {
  readonly kind: string;
  enabled: boolean;
  stop(): void;
}

export interface StreamLike {
  getTracks(): TrackLike[];
}

export interface DataChannelLike {
  readonly label: string;
  readonly readyState: string;
  send(data: string): void;
  close(): void;
  onopen: Handler<unknown>;
  onmessage: Handler<{ data: unknown }>;
}

// One entry of getStats(): the fields the SDK reads (W3C webrtc-stats), all optional.
export interface StatsEntry {
  id: string;
  type: string;
  [field: string]: unknown;
}

export interface StatsReportLike {
  forEach(callback: (entry: StatsEntry) => void): void;
}

// An RTCRtpSender and RTCRtpTransceiver, as far as the media controls (media.ts) use them.
export interface SenderLike {
  readonly track: TrackLike | null;
  replaceTrack(track: TrackLike | null): Promise<unknown>;
}

export interface TransceiverLike {
  direction: string;
  readonly currentDirection?: string | null;
  readonly sender: SenderLike;
  readonly receiver: { readonly track: TrackLike };
}

export interface PeerConnectionLike {
  // PeerConnectionState and SignalingStateName values; typed as string so that an
  // implementation with a state of its own still fits.
  readonly connectionState: string;
  readonly signalingState: string;
  readonly localDescription: { type: string; sdp: string } | null;
  readonly remoteDescription: { type: string; sdp: string } | null;
  setLocalDescription(description?: SessionDescriptionInit): Promise<unknown>;
  setRemoteDescription(description: SessionDescriptionInit): Promise<unknown>;
  addIceCandidate(candidate: IceCandidateLike): Promise<unknown>;
  createOffer(): Promise<SessionDescriptionInit>;
  addTrack(track: TrackLike, ...streams: StreamLike[]): unknown;
  createDataChannel(
    label: string,
    options?: { negotiated?: boolean; id?: number },
  ): DataChannelLike;
  getStats(): Promise<StatsReportLike>;
  setConfiguration(configuration: PeerConfiguration): unknown;
  restartIce(): void;
  // Optional: only the media controls (media.ts) need it; without it they do nothing.
  getTransceivers?(): TransceiverLike[];
  close(): unknown;
  onnegotiationneeded: Handler<unknown>;
  onicecandidate: Handler<{ candidate: IceCandidateLike | null | undefined }>;
  ontrack: Handler<{ track: TrackLike; streams?: readonly StreamLike[] }>;
  onconnectionstatechange: Handler<unknown>;
  onsignalingstatechange: Handler<unknown>;
}

export type PeerConnectionFactory = new (configuration: PeerConfiguration) => PeerConnectionLike;

export interface MediaConstraintsLike {
  audio?: boolean | Record<string, unknown>;
  video?: boolean | Record<string, unknown>;
}

// What the application hands the SDK: its RTCPeerConnection class and, where there are
// devices, its getUserMedia.
export interface WebRtc {
  RTCPeerConnection: PeerConnectionFactory;
  getUserMedia?: (constraints: MediaConstraintsLike) => Promise<StreamLike>;
}
