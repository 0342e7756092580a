// The shapes this client exchanges with Hekim: REST (DESIGN.md §5) and signaling (§6).
// An app would generate the REST half from /docs-json; it is written out here to keep the
// sample self-contained.

export type Role = 'patient' | 'doctor' | 'admin' | 'compliance_officer';

export interface User {
  id: string;
  email: string;
  displayName: string;
  role: Role;
  status: string;
  mfaEnabled: boolean;
  createdAt: string;
}

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
}

export interface LoginResponse extends TokenPair {
  user: User;
}

export interface RoomMember {
  userId: string;
  role: 'host' | 'participant';
  // A patient a clinician added is invited until they accept.
  status: 'invited' | 'active';
}

export interface Room {
  id: string;
  name: string;
  type: 'consultation' | 'group' | 'call';
  hostId: string;
  status: string;
  waitingRoom: boolean;
  maxParticipants: number;
  scheduledFor: string | null;
  members: RoomMember[];
  createdAt: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface IceServersResponse {
  iceServers: RTCIceServer[];
  ttlSeconds: number;
  expiresAt: string;
}

export interface ConsentsResponse {
  consents: { purpose: string; version: string; grantedAt: string; withdrawnAt: string | null }[];
  required: { purpose: string; version: string; text: string }[];
}

export interface Call {
  id: string;
  type: 'audio' | 'video';
  status: string;
  callerId: string;
  roomId: string;
  startedAt: string | null;
  endedAt: string | null;
  durationSeconds: number | null;
  endReason: string | null;
}

// RFC 9457 problem details, as every REST error is rendered.
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  requestId?: string;
}

// ---- Signaling (namespace /signaling) ----

export type Ack<T> =
  { ok: true; data: T } | { ok: false; error: { code: string; message: string } };

export interface Participant {
  userId: string;
  displayName: string;
  role: string;
}

export interface JoinedRoom {
  sessionId: string;
  participants: Participant[];
  iceServers: RTCIceServer[];
  // Perfect negotiation role of this client towards the others in the room (§6).
  polite: boolean;
}

export type JoinResult = JoinedRoom | { waiting: true };

// What the call:accept answer and call:accepted may carry about the call's room (servers that
// put both parties into it themselves); all optional, the page joins the room either way.
export type CallJoinInfo = Partial<JoinedRoom>;

export type CallStats = {
  callId: string;
  rttMs: number;
  jitterMs: number;
  packetLossPct: number;
  bitrateKbps: number;
};

// Client → server events: [payload, data of a successful acknowledgement].
export interface ClientEvents {
  'auth:refresh': [{ token: string }, unknown];
  'room:join': [{ roomId: string }, JoinResult];
  'room:leave': [{ roomId: string }, unknown];
  'room:admit': [{ roomId: string; userId: string }, unknown];
  'call:offer': [{ roomId: string; to: string; sdp: string }, unknown];
  'call:answer': [{ roomId: string; to: string; sdp: string }, unknown];
  'call:ice-candidate': [{ roomId: string; to: string; candidate: RTCIceCandidateInit }, unknown];
  'call:initiate': [
    { calleeIds: string[]; type: 'audio' | 'video' },
    { callId: string; roomId: string; iceServers: RTCIceServer[] },
  ];
  'call:accept': [{ callId: string }, CallJoinInfo];
  'call:reject': [{ callId: string }, unknown];
  'call:cancel': [{ callId: string }, unknown];
  'call:end': [{ callId: string }, unknown];
  'call:stats': [CallStats, unknown];
}

// The user someone refers to: the contract sends ids, some events a small user object.
export type UserRef = string | { id?: string; userId?: string; displayName?: string };

// Server → client events and their payloads.
export interface ServerEvents {
  'auth:expired': Record<string, never>;
  'ice:servers': { iceServers: RTCIceServer[]; expiresAt: string };
  'room:participant-joined': {
    roomId: string;
    userId: string;
    displayName?: string;
    role?: string;
    polite?: boolean;
  };
  'room:participant-left': { roomId: string; userId: string };
  'room:waiting': { roomId: string; user: UserRef };
  'room:admitted': { roomId: string } & Partial<JoinedRoom>;
  'room:replaced': { roomId: string };
  'room:session-ended': { roomId: string; sessionId: string; reason: string };
  'room:removed': { roomId: string; reason: string };
  'server:draining': { reconnect: true };
  'call:offer': { roomId: string; from: string; sdp: string };
  'call:answer': { roomId: string; from: string; sdp: string };
  'call:ice-candidate': { roomId: string; from: string; candidate: RTCIceCandidateInit };
  'call:incoming': {
    callId: string;
    roomId: string;
    from: UserRef;
    type: 'audio' | 'video';
    iceServers: RTCIceServer[];
  };
  'call:accepted': { callId: string; by: UserRef } & CallJoinInfo;
  'call:answered-elsewhere': { callId: string };
  'call:rejected': { callId: string; by?: UserRef };
  'call:cancelled': { callId: string };
  'call:ended': { callId: string; reason: string; durationSeconds: number | null };
  'call:missed': { callId: string };
}

export function userIdOf(ref: UserRef): string {
  return typeof ref === 'string' ? ref : (ref.userId ?? ref.id ?? '');
}

export function displayNameOf(ref: UserRef): string {
  return typeof ref === 'string' ? ref : (ref.displayName ?? userIdOf(ref));
}

// GET /dev/mailbox (development only).
export interface MailboxEntry {
  id: string;
  kind: string;
  to: string;
  subject: string;
  date: string;
  text: string;
}
