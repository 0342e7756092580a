// The signaling contract of docs/signaling.md as TypeScript types: the one place that names every
// event and its payload. It imports nothing, so a client SDK can copy or share this file.

export type ErrorCodeName =
  | 'VALIDATION_FAILED'
  | 'UNAUTHORIZED'
  | 'MFA_REQUIRED'
  | 'TOKEN_REUSED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'RATE_LIMITED'
  | 'CONSENT_REQUIRED'
  | 'PAYLOAD_TOO_LARGE'
  | 'INTERNAL'
  | 'UNAVAILABLE'
  | 'EMAIL_NOT_VERIFIED';

// `retryAfter` (seconds) comes with RATE_LIMITED: when the event may be sent again.
export interface AckError {
  code: ErrorCodeName;
  message: string;
  retryAfter?: number;
  // Why, where the code alone does not say (the chat's refusals, docs/chat.md).
  reason?: string;
}

export type Ack<T> = { ok: true; data: T } | { ok: false; error: AckError };

export interface IceServer {
  urls: string[];
  username?: string;
  credential?: string;
}

export interface Participant {
  userId: string;
  displayName: string;
  // guest, interpreter, companion: let in by an appointment's invitation link.
  role: 'host' | 'participant' | 'guest' | 'interpreter' | 'companion';
}

export interface JoinedAnswer {
  roomId: string;
  sessionId: string;
  // Everyone else in the room now (not the caller).
  participants: Participant[];
  iceServers: IceServer[];
  // When the TURN credentials in iceServers stop working; fresh ones arrive by `ice:servers`.
  expiresAt: string;
  // Perfect negotiation: true when others were already in the room.
  polite: boolean;
}

export interface WaitingAnswer {
  waiting: true;
}

// One person of a clinician's queue as the clinician sees it (GET /clinicians/me/queue).
export interface QueueEntry {
  position: number;
  appointmentId: string;
  roomId: string;
  patientId: string;
  displayName: string;
  start: string;
  checkedInAt: string;
  waitedSeconds: number;
  estimatedWaitMinutes: number;
  // Knocking at the waiting room now.
  waiting: boolean;
  precheck: { passed: boolean; at: string; details: string | null } | null;
}

// Who `queue:next` admitted.
export interface QueueAdmitted {
  appointmentId: string;
  roomId: string;
  userId: string;
  displayName: string;
}

export interface IceCandidateInit {
  candidate: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
  usernameFragment?: string | null;
}

export type CallType = 'audio' | 'video';

// Answer to `call:initiate` and `call:accept`: the call's room and this device's ICE servers.
// The answer to `call:accept` also carries the join answer (sessionId, participants, polite)
// when the server joined the accepting device to the call's room; without them the client
// joins with `room:join` itself.
export interface CallAnswer extends Partial<Omit<JoinedAnswer, 'roomId'>> {
  callId: string;
  roomId: string;
  iceServers: IceServer[];
  expiresAt: string;
}

// `call:accepted`; the caller's device that the server joined to the call's room also gets
// its join answer (roomId, sessionId, participants, iceServers, expiresAt, polite).
export interface CallAccepted extends Partial<JoinedAnswer> {
  callId: string;
  by: string;
  sdp?: string;
}

export interface CallStatus {
  callId: string;
  status: 'ringing' | 'active' | 'ended' | 'rejected' | 'missed' | 'cancelled';
}

export interface CallStats {
  callId: string;
  rttMs?: number;
  jitterMs?: number;
  packetLossPct?: number;
  bitrateKbps?: number;
}

// Client → server. Every event takes an acknowledgement callback.
export interface ChatAttachment {
  id: string;
  name: string;
  contentType: string;
  sizeBytes: number;
}

// A chat message as clients receive it (docs/chat.md). `text` is plain text: render it as text.
export interface ChatMessage {
  id: string;
  roomId: string;
  seq: number;
  senderId: string;
  clientId: string;
  text: string | null;
  attachment: ChatAttachment | null;
  erased: boolean;
  createdAt: string;
}

export interface ClientToServerEvents {
  'room:join': (p: { roomId: string }, ack: (a: Ack<JoinedAnswer | WaitingAnswer>) => void) => void;
  'room:leave': (p: { roomId: string }, ack: (a: Ack<Record<string, never>>) => void) => void;
  'room:admit': (
    p: { roomId: string; userId: string },
    ack: (a: Ack<Record<string, never>>) => void,
  ) => void;
  'call:offer': (
    p: { roomId: string; to: string; sdp: string },
    ack: (a: Ack<Record<string, never>>) => void,
  ) => void;
  'call:answer': (
    p: { roomId: string; to: string; sdp: string },
    ack: (a: Ack<Record<string, never>>) => void,
  ) => void;
  'call:ice-candidate': (
    p: { roomId: string; to: string; candidate: IceCandidateInit },
    ack: (a: Ack<Record<string, never>>) => void,
  ) => void;
  'auth:refresh': (p: { token: string }, ack: (a: Ack<{ expiresAt: string }>) => void) => void;
  'call:initiate': (
    p: { calleeIds: string[]; type: CallType; sdp?: string },
    ack: (a: Ack<CallAnswer>) => void,
  ) => void;
  'call:accept': (p: { callId: string; sdp?: string }, ack: (a: Ack<CallAnswer>) => void) => void;
  'call:reject': (p: { callId: string }, ack: (a: Ack<CallStatus>) => void) => void;
  'call:cancel': (p: { callId: string }, ack: (a: Ack<CallStatus>) => void) => void;
  'call:end': (p: { callId: string }, ack: (a: Ack<CallStatus>) => void) => void;
  'call:stats': (p: CallStats, ack: (a: Ack<Record<string, never>>) => void) => void;
  // Admits the next person of the caller's queue; admins name the clinician.
  'queue:next': (p: { clinicianId?: string }, ack: (a: Ack<QueueAdmitted>) => void) => void;
  'chat:send': (
    p: { roomId: string; text?: string; attachmentId?: string; clientId: string },
    ack: (a: Ack<{ message: ChatMessage }>) => void,
  ) => void;
  'chat:typing': (p: { roomId: string }, ack: (a: Ack<Record<string, never>>) => void) => void;
  'chat:read': (
    p: { roomId: string; messageId: string },
    ack: (a: Ack<Record<string, never>>) => void,
  ) => void;
}

// Server → client.
export interface ServerToClientEvents {
  'room:participant-joined': (p: { roomId: string } & Participant) => void;
  'room:participant-left': (p: { roomId: string; userId: string }) => void;
  'room:waiting': (p: { roomId: string; user: Participant }) => void;
  'room:admitted': (p: JoinedAnswer) => void;
  'room:replaced': (p: { roomId: string }) => void;
  'room:session-ended': (p: { roomId: string; sessionId: string; reason: string }) => void;
  // The server took this user out of the room (reason e.g. `consent_withdrawn`).
  'room:removed': (p: { roomId: string; reason: string }) => void;
  'call:offer': (p: { roomId: string; from: string; sdp: string }) => void;
  'call:answer': (p: { roomId: string; from: string; sdp: string }) => void;
  'call:ice-candidate': (p: { roomId: string; from: string; candidate: IceCandidateInit }) => void;
  'ice:servers': (p: { iceServers: IceServer[]; expiresAt: string }) => void;
  'auth:expired': (p: Record<string, never>) => void;
  'server:draining': (p: { reconnect: true }) => void;
  // Every device of a callee rings.
  'call:incoming': (p: {
    callId: string;
    roomId: string;
    from: string;
    type: CallType;
    sdp?: string;
    iceServers: IceServer[];
    expiresAt: string;
  }) => void;
  'call:accepted': (p: CallAccepted) => void;
  // Another device of the same user answered: stop ringing.
  'call:answered-elsewhere': (p: { callId: string }) => void;
  'call:rejected': (p: CallStatus & { by: string }) => void;
  'call:cancelled': (p: { callId: string }) => void;
  // A group participant hung up; the call goes on.
  'call:participant-left': (p: { callId: string; userId: string }) => void;
  'call:ended': (p: { callId: string; reason: string; durationSeconds: number | null }) => void;
  'call:missed': (p: { callId: string }) => void;
  // To a waiting person: their place in the clinician's queue, after every change to it.
  'queue:update': (p: { roomId: string; position: number; estimatedWaitMinutes: number }) => void;
  // To the clinician: their whole queue, after every change to it.
  'queue:changed': (p: { clinicianId: string; items: QueueEntry[] }) => void;
  'chat:message': (p: { message: ChatMessage }) => void;
  'chat:typing': (p: { roomId: string; userId: string }) => void;
  'chat:read': (p: { roomId: string; userId: string; messageId: string }) => void;
}

export const CLIENT_EVENTS = [
  'room:join',
  'room:leave',
  'room:admit',
  'call:offer',
  'call:answer',
  'call:ice-candidate',
  'auth:refresh',
  'call:initiate',
  'call:accept',
  'call:reject',
  'call:cancel',
  'call:end',
  'call:stats',
  'queue:next',
  'chat:send',
  'chat:typing',
  'chat:read',
] as const satisfies readonly (keyof ClientToServerEvents)[];

// The client events relayed to another participant as they are: offers, answers, candidates.
export const RELAY_EVENTS = [
  'call:offer',
  'call:answer',
  'call:ice-candidate',
] as const satisfies readonly (keyof ClientToServerEvents & keyof ServerToClientEvents)[];
export type RelayEvent = (typeof RELAY_EVENTS)[number];

export const SERVER_EVENTS = [
  'room:participant-joined',
  'room:participant-left',
  'room:waiting',
  'room:admitted',
  'room:replaced',
  'room:session-ended',
  'room:removed',
  'call:offer',
  'call:answer',
  'call:ice-candidate',
  'ice:servers',
  'auth:expired',
  'server:draining',
  'call:incoming',
  'call:accepted',
  'call:answered-elsewhere',
  'call:rejected',
  'call:cancelled',
  'call:participant-left',
  'call:ended',
  'call:missed',
  'queue:update',
  'queue:changed',
  'chat:message',
  'chat:typing',
  'chat:read',
] as const satisfies readonly (keyof ServerToClientEvents)[];
