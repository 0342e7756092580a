// @hekim/client: the SDK for Hekim's web and mobile apps (docs/sdk.md).
export { createApiClient, unwrap } from './api/client.js';
export type {
  ApiClient,
  ApiClientOptions,
  components,
  operations,
  paths,
  Problem,
} from './api/client.js';
export { Call, CallClient } from './calls.js';
export type {
  CallClientEvents,
  CallEvents,
  CallSessionOptions,
  CallSessionOptionsSource,
  IncomingCall,
} from './calls.js';
export type * from './contract/signaling-events.js';
export { CLIENT_EVENTS, SERVER_EVENTS } from './contract/signaling-events.js';
export { HekimError } from './errors.js';
export {
  DISCONNECTED_GRACE_MS,
  iceRestartDelay,
  isNewRemoteSession,
  isOfferCollision,
  shouldIgnoreOffer,
} from './negotiation.js';
export { arrivingSince, replaceOutgoingTrack, setSending, transceiversOf } from './media.js';
export type { MediaKind, RemoteMedia } from './media.js';
export { DATA_CHANNEL, Peer, STALL_MS } from './peer.js';
export { adviceOf, precallCheck, precheckSummary, verdictOf } from './precall.js';
export type {
  CheckCode,
  CheckName,
  CheckResult,
  CheckStatus,
  PrecallOptions,
  PrecallReport,
  Verdict,
} from './precall.js';
export { DEFAULT_THRESHOLDS, qualityLevel, QualityTracker, readStats } from './quality.js';
export type { QualityLevel, QualitySample, QualityThresholds } from './quality.js';
export { isTerminal, nextCallState, startIncoming, startOutgoing } from './ringing.js';
export type { CallDirection, CallEvent, CallPhase, CallState } from './ringing.js';
export { ConsultationSession, DEFAULT_STATS_INTERVAL_MS } from './session.js';
export type { SessionEvents, SessionOptions, SessionState } from './session.js';
export { SignalingClient } from './signaling.js';
export type { ConnectionChange, ConnectionState, SignalingOptions } from './signaling.js';
export { VERSION } from './version.js';
export type * from './webrtc.js';
