import { Injectable } from '@nestjs/common';
import type { Namespace, Socket } from 'socket.io';
import type { AuthUser } from '../../common/auth/auth-user';
import type { ErrorCode } from '../../common/errors/error-code';
import type { AckError, ClientToServerEvents, ServerToClientEvents } from './signaling-events';

// What the signaling edge keeps on each socket.
export interface SocketData {
  user: AuthUser;
  // The instance the socket is connected to (another instance may join it to a call's room).
  instanceId: string;
  expiresAt: number;
  iceExpiresAt?: number;
  revocationCheckedAt?: number;
}

export type SignalingSocket = Socket<
  ClientToServerEvents,
  ServerToClientEvents,
  object,
  SocketData
>;
export type SignalingNamespace = Namespace<
  ClientToServerEvents,
  ServerToClientEvents,
  object,
  SocketData
>;
export type Empty = Record<string, never>;

// Every socket of a user is in its user's channel; a socket joined to a room is in the room's.
// Both work across instances through the Socket.IO Redis adapter.
export const USER_CHANNEL = (userId: string): string => `user:${userId}`;
export const ROOM_CHANNEL = (roomId: string): string => `room:${roomId}`;

// The `/signaling` namespace, for the edge's pieces beside the gateway (Nest hands it to the
// gateway only). Set once in the gateway's afterInit; absent in an application context
// without HTTP (the retention:run command), where nothing is signalled.
@Injectable()
export class SignalingServer {
  private namespace: SignalingNamespace | undefined;

  attach(namespace: SignalingNamespace): void {
    this.namespace = namespace;
  }

  get io(): SignalingNamespace {
    if (!this.namespace) throw new Error('the signaling namespace is not initialised');
    return this.namespace;
  }
}

export function failure(
  code: ErrorCode,
  message: string,
  retryAfter?: number,
  reason?: string,
): { ok: false; error: AckError } {
  const error: AckError = { code: `${code}`, message };
  if (retryAfter !== undefined) error.retryAfter = retryAfter;
  if (reason !== undefined) error.reason = reason;
  return { ok: false, error };
}

export function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
