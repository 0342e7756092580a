// The REST shapes the app's screens read (docs/contract.md), as the app names them. Requests
// go through the SDK's client, typed from the OpenAPI document; signaling's shapes are the
// SDK's (its copy of the server's event map).
import type { IceServer } from '../../packages/client/src/index.js';

export type ConsentPurpose = 'telemedicine' | 'data_processing';

export type Role = 'patient' | 'doctor' | 'admin' | 'compliance_officer' | 'guest';

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

export interface ClinicianListing {
  id: string;
  displayName: string;
  timezone: string;
  slotMinutes: number;
}

export interface Slot {
  start: string;
  end: string;
}

export type AppointmentStatus =
  'booked' | 'checked_in' | 'in_consultation' | 'completed' | 'cancelled' | 'no_show';

export interface Appointment {
  id: string;
  clinicianId: string;
  patientId: string;
  roomId: string;
  start: string;
  end: string;
  status: AppointmentStatus;
  reason: string | null;
  outcome: string | null;
}

export interface CareRelationship {
  id: string;
  clinicianId: string;
  patientId: string;
  since: string;
  until: string | null;
}

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
  // The last pre-call check the patient's device reported, or null.
  precheck?: { passed: boolean; at: string; details: string | null } | null;
}

// The answer to redeeming an invitation link: a guest grant scoped to one room.
export interface Redeemed {
  accessToken: string;
  expiresIn: number;
  roomId: string;
  appointmentId: string;
  role: 'patient' | 'guest' | 'interpreter' | 'companion';
  displayName: string;
  guestId: string;
  validUntil: string;
  deviceSecret?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface IceServersResponse {
  iceServers: IceServer[];
  ttlSeconds: number;
  expiresAt: string;
}

export interface ConsentsResponse {
  consents: {
    purpose: ConsentPurpose;
    version: number;
    grantedAt: string;
    withdrawnAt: string | null;
  }[];
  required: { purpose: ConsentPurpose; version: number; text: string }[];
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

// The user someone refers to: the contract sends ids, some events a small user object.
export type UserRef = string | { id?: string; userId?: string; displayName?: string };

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
