import {
  type BeforeApplicationShutdown,
  Logger,
  type OnModuleDestroy,
  type Type,
} from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  type OnGatewayConnection,
  type OnGatewayDisconnect,
  type OnGatewayInit,
  SubscribeMessage,
  WebSocketGateway,
  WebSocketServer,
} from '@nestjs/websockets';
import type { Subscription } from 'rxjs';
import type { Namespace, Socket } from 'socket.io';
import type { AuthUser } from '../../common/auth/auth-user';
import { AppException } from '../../common/errors/app.exception';
import { isDependencyFailure } from '../../common/errors/dependency-failure';
import { ErrorCode } from '../../common/errors/error-code';
import { createValidationPipe } from '../../common/errors/validation';
import { AppConfig } from '../../config/app-config';
import { LifecycleState } from '../../infra/health/lifecycle.state';
import { AuditAction, AuditOutcome } from '../audit/audit-action';
import { AnonymousRefusalBudget } from '../audit/anonymous-refusals';
import { AuditService } from '../audit/audit.service';
import { type CallChange, CallEvents } from '../calls/call-events';
import { type CallAction, CallsService } from '../calls/calls.service';
import {
  AcceptCallPayload,
  CallIdPayload,
  CallStatsPayload,
  InitiateCallPayload,
} from '../calls/dto/call.dto';
import { durationSeconds } from '../calls/call-state-machine';
import type { CallEntity } from '../calls/call.entity';
import { IceService } from '../ice/ice.service';
import { type Joined, RoomPresenceService } from '../sessions/room-presence.service';
import type { RoomSockets } from '../sessions/room-sockets.cache';
import { SessionEvents } from '../sessions/session-events';
import { SessionsRepository, type SocketRef } from '../sessions/sessions.repository';
import {
  AdmitPayload,
  IceCandidatePayload,
  RefreshPayload,
  RoomPayload,
  SdpPayload,
} from './dto/signaling.dto';
import {
  type Ack,
  type CallAnswer,
  type CallStatus,
  type ClientToServerEvents,
  type AckError,
  type JoinedAnswer,
  type Participant,
  RELAY_EVENTS,
  type RelayEvent,
  type ServerToClientEvents,
  type WaitingAnswer,
} from './signaling-events';
import { eventArgs, MAX_EVENT_BYTES, validateEventPayload } from './event-payload';
import { iceRefreshDue } from './ice-refresh';
import { RelayBus } from './relay-bus';
import { quickRelayPayload } from './relay-payload';
import { type RateVerdict, SignalingRateLimiter } from './signaling-rate-limiter';
import { SignalingMetrics } from './signaling.metrics';
import { SocketSlots } from './socket-slots';
import { AccessTokenPort } from './socket-auth.port';

interface SocketData {
  user: AuthUser;
  // The instance the socket is connected to (another instance may join it to a call's room).
  instanceId: string;
  expiresAt: number;
  iceExpiresAt?: number;
  revocationCheckedAt?: number;
}

type SignalingSocket = Socket<ClientToServerEvents, ServerToClientEvents, object, SocketData>;
type SignalingNamespace = Namespace<ClientToServerEvents, ServerToClientEvents, object, SocketData>;
type Empty = Record<string, never>;
type RelayPayload = SdpPayload | IceCandidatePayload;
type RelayMessage<E extends RelayEvent> = Parameters<ServerToClientEvents[E]>[0];
type RelayListener = (this: SignalingSocket, ...args: unknown[]) => void;

// How often the housekeeping tick runs, and how often each socket's session is re-checked.
const TICK_MS = 500;
const REVOCATION_CHECK_MS = 2000;
const USER_CHANNEL = (userId: string): string => `user:${userId}`;
const ROOM_CHANNEL = (roomId: string): string => `room:${roomId}`;

// A device the server joined to a call's room: its join answer, and how others see it.
interface DeviceJoin {
  socketId: string;
  self: Participant;
  answer: JoinedAnswer;
}

class HandshakeRefused extends Error {
  constructor(
    readonly reason: string,
    message: 'UNAUTHORIZED' | 'FORBIDDEN' | 'UNAVAILABLE' | 'RATE_LIMITED',
    // Who was refused, when the token was valid (a refusal for too many sockets).
    readonly user: AuthUser | null = null,
  ) {
    super(message);
  }
}

// The WebRTC signaling gateway of docs/signaling.md. Thin on purpose: it authenticates the
// handshake, validates and rate-limits every event, and hands the work to RoomPresenceService
// (whose state lives in PostgreSQL, shared by every instance); emits to other instances go
// through the Socket.IO Redis adapter. SDP and candidates are passed through, never logged.
@WebSocketGateway({ namespace: '/signaling' })
export class SignalingGateway
  implements
    OnGatewayInit,
    OnGatewayConnection,
    OnGatewayDisconnect,
    OnModuleDestroy,
    BeforeApplicationShutdown
{
  @WebSocketServer() private server!: SignalingNamespace;

  private readonly logger = new Logger('Signaling');
  private readonly pipe = createValidationPipe();
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  // Per socket, the tail of its queue of relayed signals (see inOrder).
  private readonly relayQueues = new WeakMap<SignalingSocket, Promise<unknown>>();
  // Per socket, the tail of its events waiting for the rate limit's verdict.
  private readonly admissions = new WeakMap<SignalingSocket, Promise<unknown>>();
  private ticks = 0;
  private drainingAnnounced = false;
  private shuttingDown = false;
  private ended: Subscription | undefined;
  private removed: Subscription | undefined;
  private principalChanges: Subscription | undefined;
  private callChanges: Subscription | undefined;
  // The room joins that follow an accept made over signaling on this instance, by
  // `<callId>:<socketId>`; the accept's ack waits for them. The change is published (and this
  // set) before `act` resolves, so the handler always finds its entry.
  private readonly acceptJoins = new Map<string, Promise<JoinedAnswer | null>>();

  constructor(
    private readonly config: AppConfig,
    private readonly tokens: AccessTokenPort,
    private readonly presence: RoomPresenceService,
    private readonly sessions: SessionsRepository,
    private readonly ice: IceService,
    private readonly audit: AuditService,
    private readonly anonymousRefusals: AnonymousRefusalBudget,
    private readonly slots: SocketSlots,
    private readonly limiter: SignalingRateLimiter,
    private readonly metrics: SignalingMetrics,
    private readonly lifecycle: LifecycleState,
    private readonly sessionEvents: SessionEvents,
    private readonly calls: CallsService,
    private readonly callEvents: CallEvents,
    private readonly bus: RelayBus,
  ) {}

  afterInit(namespace: SignalingNamespace): void {
    this.bus.listen(this.presence.instanceId, namespace.sockets).catch((err: unknown) => {
      this.logger.error(
        { err: describe(err) },
        'could not subscribe to relays from other instances',
      );
    });
    // Nest guards do not run on connection: this middleware is the authentication.
    namespace.use((socket, next) => {
      this.authenticate(socket).then(
        () => next(),
        (err: unknown) => next(err instanceof Error ? err : new Error('UNAUTHORIZED')),
      );
    });
    this.ended = this.sessionEvents.ended.subscribe((e) => {
      for (const id of e.socketIds) {
        this.server.to(id).emit('room:session-ended', {
          roomId: e.roomId,
          sessionId: e.sessionId,
          reason: e.reason,
        });
        this.server.in(id).socketsLeave(ROOM_CHANNEL(e.roomId));
      }
    });
    // A user taken out of a room server-side (consent withdrawn): all their devices hear it
    // and leave the room's channel, wherever they are connected (the Redis adapter carries
    // both); the others hear that they left.
    this.removed = this.sessionEvents.removed.subscribe((e) => {
      this.server
        .to(USER_CHANNEL(e.userId))
        .emit('room:removed', { roomId: e.roomId, reason: e.reason });
      this.server.in(USER_CHANNEL(e.userId)).socketsLeave(ROOM_CHANNEL(e.roomId));
      this.notifyLeft(e.roomId, e.userId, e.otherSocketIds);
    });
    // A session revoked, a user deactivated or a role changed (here or on another instance):
    // their sockets here are checked again on the next tick (TICK_MS), not after their turn.
    this.principalChanges = this.tokens.changes.subscribe((change) => {
      const sessions = new Set(change.sessionIds);
      const users = new Set(change.userIds);
      for (const socket of this.server.sockets.values()) {
        const { user } = socket.data;
        if (sessions.has(user.sessionId) || users.has(user.id)) socket.data.revocationCheckedAt = 0;
      }
    });
    // Alive before the first socket arrives, so no other instance mistakes this one for dead.
    this.presence.heartbeat().catch((err: unknown) => {
      this.logger.error({ err: describe(err) }, 'signaling heartbeat failed');
    });
    this.callChanges = this.callEvents.changes.subscribe((change) => {
      const done = this.onCallChange(change).catch((err: unknown) => {
        this.logger.error(
          { err: describe(err), callId: change.call.id, kind: change.kind },
          'could not signal a call change',
        );
        return null;
      });
      // An accept over signaling answers with the accepting device's join (see acceptCall).
      if (change.kind === 'accepted' && change.socketId)
        this.acceptJoins.set(`${change.call.id}:${change.socketId}`, done);
    });
    this.timer = setInterval(() => void this.tick(), TICK_MS);
    this.timer.unref();
  }

  handleConnection(socket: SignalingSocket): void {
    this.metrics.sockets.inc();
    void socket.join(USER_CHANNEL(socket.data.user.id));
    // Every incoming event, known or not, counts against the rate limit. The check usually
    // answers at once and sometimes waits for the shared counter (SignalingRateLimiter), so
    // one socket's events pass it in turn: a candidate must not overtake the offer before it.
    socket.use((packet, next) => {
      const ack: unknown = packet.at(-1);
      const admit = (verdict: RateVerdict): void => {
        if (verdict === 'ok') return next();
        this.metrics.rateLimited.inc();
        if (typeof ack === 'function')
          (ack as (a: Ack<never>) => void)(
            // Windows are one second long: the next one starts within a second.
            failure(ErrorCode.RateLimited, 'Too many events; slow down.', 1),
          );
        if (verdict === 'abusive') socket.disconnect(true);
      };
      const settle = (verdict: Promise<RateVerdict>): Promise<void> =>
        verdict
          .then(
            admit,
            // Fail open when the shared counter is unreachable: signaling matters more than the limit.
            () => next(),
          )
          // The queue must never stall on one event's failure.
          .catch(() => undefined);
      // Nothing of this socket waiting for a verdict: most events are answered at once.
      if (!this.admissions.has(socket)) {
        const verdict = this.check(socket);
        if (typeof verdict === 'string') return admit(verdict);
        void enqueue(this.admissions, socket, () => settle(verdict));
        return;
      }
      void enqueue(this.admissions, socket, () => settle(Promise.resolve(this.check(socket))));
    });
    for (const event of RELAY_EVENTS) socket.on(event, this.relayListeners[event]);
  }

  private check(socket: SignalingSocket): RateVerdict | Promise<RateVerdict> {
    try {
      return this.limiter.check(socket.id, socket.data.user.id);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  handleDisconnect(socket: SignalingSocket): void {
    this.metrics.sockets.dec();
    this.limiter.forget(socket.id);
    this.slots.release(socket.data.user.id, socket.id).catch((err: unknown) => {
      this.logger.warn(
        { err: describe(err), socketId: socket.id },
        'could not release a socket slot',
      );
    });
    if (this.shuttingDown) return;
    this.presence.disconnected(socket.id).catch((err: unknown) => {
      this.logger.error(
        { err: describe(err), socketId: socket.id },
        'could not start the reconnect grace',
      );
    });
  }

  @SubscribeMessage('room:join')
  join(
    @ConnectedSocket() socket: SignalingSocket,
    @MessageBody() body: unknown,
  ): Promise<Ack<JoinedAnswer | WaitingAnswer>> {
    return this.run(socket, RoomPayload, body, async (p, user) => {
      const outcome = await this.presence.join(user, p.roomId, socket.id);
      if (outcome.kind === 'waiting') {
        this.server
          .to(USER_CHANNEL(outcome.hostId))
          .emit('room:waiting', { roomId: p.roomId, user: outcome.user });
        return { waiting: true } as const;
      }
      return this.joined(outcome, socket.id, user.id);
    });
  }

  @SubscribeMessage('room:admit')
  admit(
    @ConnectedSocket() socket: SignalingSocket,
    @MessageBody() body: unknown,
  ): Promise<Ack<Empty>> {
    return this.run(socket, AdmitPayload, body, async (p, user) => {
      const { joined, socketId } = await this.presence.admit(user, p.roomId, p.userId);
      this.server.to(socketId).emit('room:admitted', this.joined(joined, socketId, p.userId));
      return {};
    });
  }

  @SubscribeMessage('room:leave')
  leave(
    @ConnectedSocket() socket: SignalingSocket,
    @MessageBody() body: unknown,
  ): Promise<Ack<Empty>> {
    return this.run(socket, RoomPayload, body, async (p, user) => {
      const left = await this.presence.leave(user, p.roomId, socket.id);
      await socket.leave(ROOM_CHANNEL(p.roomId));
      if (left) this.notifyLeft(left.roomId, left.userId, left.otherSocketIds);
      return {};
    });
  }

  @SubscribeMessage('auth:refresh')
  refresh(
    @ConnectedSocket() socket: SignalingSocket,
    @MessageBody() body: unknown,
  ): Promise<Ack<{ expiresAt: string }>> {
    return this.run(socket, RefreshPayload, body, async (p, user) => {
      const principal = await this.tokens.verify(p.token);
      // A socket belongs to one user for its whole life.
      if (principal.id !== user.id)
        throw AppException.unauthorized('The token belongs to another user.');
      socket.data.expiresAt = principal.expiresAt.getTime();
      socket.data.user = { id: principal.id, role: principal.role, sessionId: principal.sessionId };
      return { expiresAt: principal.expiresAt.toISOString() };
    });
  }

  // Direct calls (docs/signaling.md): the same CallsService as REST; its changes come back through
  // CallEvents and are signalled by onCallChange, whichever way they were made.

  @SubscribeMessage('call:initiate')
  initiateCall(
    @ConnectedSocket() socket: SignalingSocket,
    @MessageBody() body: unknown,
  ): Promise<Ack<CallAnswer>> {
    return this.run(socket, InitiateCallPayload, body, async (p, user) => {
      const call = await this.calls.initiate(user, p, socket.id);
      return this.callAnswer(call.id, call.roomId, user.id);
    });
  }

  @SubscribeMessage('call:accept')
  acceptCall(
    @ConnectedSocket() socket: SignalingSocket,
    @MessageBody() body: unknown,
  ): Promise<Ack<CallAnswer>> {
    return this.run(socket, AcceptCallPayload, body, async (p, user) => {
      const call = await this.calls.act(user, p.callId, 'accept', {
        sdp: p.sdp,
        socketId: socket.id,
      });
      const key = `${call.id}:${socket.id}`;
      const joined = await this.acceptJoins.get(key);
      this.acceptJoins.delete(key);
      // Joined: the join answer rides along (additive); otherwise the client joins itself.
      return { ...this.callAnswer(call.id, call.roomId, user.id), ...joined };
    });
  }

  @SubscribeMessage('call:reject')
  rejectCall(
    @ConnectedSocket() socket: SignalingSocket,
    @MessageBody() body: unknown,
  ): Promise<Ack<CallStatus>> {
    return this.callAction(socket, body, 'reject');
  }

  @SubscribeMessage('call:cancel')
  cancelCall(
    @ConnectedSocket() socket: SignalingSocket,
    @MessageBody() body: unknown,
  ): Promise<Ack<CallStatus>> {
    return this.callAction(socket, body, 'cancel');
  }

  @SubscribeMessage('call:end')
  endCall(
    @ConnectedSocket() socket: SignalingSocket,
    @MessageBody() body: unknown,
  ): Promise<Ack<CallStatus>> {
    return this.callAction(socket, body, 'end');
  }

  @SubscribeMessage('call:stats')
  callStats(
    @ConnectedSocket() socket: SignalingSocket,
    @MessageBody() body: unknown,
  ): Promise<Ack<Empty>> {
    return this.run(socket, CallStatsPayload, body, async (p, user) => {
      await this.calls.stats(user, p);
      return {};
    });
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
    this.ended?.unsubscribe();
    this.removed?.unsubscribe();
    this.callChanges?.unsubscribe();
    this.principalChanges?.unsubscribe();
  }

  // Before the database closes: tell this instance's clients to reconnect elsewhere and start
  // their reconnect grace, so their sessions survive the restart.
  async beforeApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.shuttingDown = true;
    // No server in an application context without HTTP (the retention:run command).
    if (!(this.server as SignalingNamespace | undefined)) return;
    const local = [...this.server.sockets.values()];
    this.logger.log({ sockets: local.length }, 'draining signaling sockets');
    for (const socket of local) socket.emit('server:draining', { reconnect: true });
    // Graces first, then the cut: a client that reconnects at once finds its place kept.
    await this.presence.disconnectedAll(local.map((s) => s.id)).catch((err: unknown) => {
      this.logger.error({ err: describe(err) }, 'could not start the reconnect grace on shutdown');
    });
    for (const socket of local) socket.disconnect(true);
    this.logger.log({ sockets: local.length }, 'signaling sockets drained');
  }

  private async authenticate(socket: SignalingSocket): Promise<void> {
    try {
      const origin = socket.handshake.headers.origin;
      if (origin !== undefined && !this.originAllowed(origin, socket.handshake.headers.host))
        throw new HandshakeRefused('origin', 'FORBIDDEN');
      // Query strings end up in proxy and access logs: a token there is refused outright.
      const query = socket.handshake.query;
      if (['token', 'access_token', 'accessToken', 'auth'].some((k) => k in query))
        throw new HandshakeRefused('token_in_query', 'UNAUTHORIZED');
      const auth = socket.handshake.auth as Record<string, unknown> | undefined;
      const token = auth?.token;
      if (typeof token !== 'string' || token.length === 0 || token.length > 4096)
        throw new HandshakeRefused('missing_token', 'UNAUTHORIZED');
      let principal;
      try {
        principal = await this.tokens.verify(token);
      } catch (err) {
        // The token could not be checked (revocation list or user store unreachable): refused
        // all the same, but as UNAVAILABLE so that the client retries instead of signing out.
        if (isDependencyFailure(err)) throw new HandshakeRefused('unavailable', 'UNAVAILABLE');
        throw new HandshakeRefused('invalid_token', 'UNAUTHORIZED');
      }
      const user = { id: principal.id, role: principal.role, sessionId: principal.sessionId };
      // SIGNALING_MAX_SOCKETS_PER_USER across every instance; refused, the client is told to
      // close a device first (RATE_LIMITED), not to sign in again.
      const slot = await this.slots.claim(user.id, socket.id).catch((err: unknown) => {
        // Without the shared store the cap cannot be counted: fail open, as the event
        // limits do, rather than keep everyone out during a Redis outage.
        if (isDependencyFailure(err)) return true;
        throw err;
      });
      if (!slot) throw new HandshakeRefused('too_many_sockets', 'RATE_LIMITED', user);
      socket.data.user = user;
      socket.data.instanceId = this.presence.instanceId;
      socket.data.expiresAt = principal.expiresAt.getTime();
      socket.data.revocationCheckedAt = Date.now();
      // Verified: the bearer token is not kept for the socket's life (its session is
      // re-checked by id), neither here nor in the handshake Socket.IO keeps.
      socket.handshake.auth = {};
    } catch (err) {
      const refused =
        err instanceof HandshakeRefused ? err : new HandshakeRefused('error', 'UNAUTHORIZED');
      this.metrics.handshakeRefused.inc({ reason: refused.reason });
      const ip = socket.handshake.address;
      const write = (): Promise<unknown> =>
        this.audit.record({
          action: AuditAction.SignalingHandshake,
          outcome: AuditOutcome.Denied,
          actor: {
            userId: refused.user?.id ?? null,
            role: refused.user?.role ?? null,
            ip,
            userAgent: socket.handshake.headers['user-agent'] ?? null,
          },
          details: { reason: refused.reason },
        });
      // Refusals without an identity share the per-address budget of REST 401s.
      await (refused.user ? write() : this.anonymousRefusals.record(ip, write)).catch(
        (auditErr: unknown) => {
          this.logger.error({ err: describe(auditErr) }, 'could not audit a refused handshake');
        },
      );
      throw refused;
    }
  }

  // Cross-site WebSocket hijacking: a browser page may only connect from an allowed origin
  // (or from Hekim's own origin, e.g. the demo page).
  private originAllowed(origin: string, host: string | undefined): boolean {
    if (this.config.http.corsOrigins.includes(origin)) return true;
    try {
      return host !== undefined && new URL(origin).host === host;
    } catch {
      return false;
    }
  }

  private async run<D extends object, R>(
    socket: SignalingSocket,
    dto: Type<D>,
    body: unknown,
    work: (payload: D, user: AuthUser) => Promise<R> | R,
  ): Promise<Ack<R>> {
    try {
      const user = await this.actingUser(socket);
      const payload = await validateEventPayload(this.pipe, dto, body);
      return { ok: true, data: await work(payload, user) };
    } catch (err) {
      if (err instanceof AppException) return failure(err.code, err.detail);
      // PostgreSQL or Redis unreachable, or the pool exhausted: the REST 503's twin, so that
      // the client retries (nothing was committed: the work is one transaction).
      if (isDependencyFailure(err)) {
        this.logger.warn(
          { err: describe(err), socketId: socket.id },
          'signaling handler unavailable',
        );
        return failure(
          ErrorCode.Unavailable,
          'A backing service is temporarily unavailable; retry shortly.',
        );
      }
      this.logger.error({ err: describe(err), socketId: socket.id }, 'signaling handler failed');
      return failure(ErrorCode.Internal, 'Something went wrong.');
    }
  }

  // The user behind the socket as they stand now: every event is judged with their current
  // role (not the one their token was issued with), and a socket whose session was revoked or
  // whose user was deactivated is answered UNAUTHORIZED and closed.
  private async actingUser(socket: SignalingSocket): Promise<AuthUser> {
    const user = socket.data.user;
    const known = this.tokens.peekRole(user);
    const role = known === undefined ? await this.tokens.currentRole(user) : known;
    if (role === null) {
      // After the answer has gone out.
      setImmediate(() => socket.disconnect(true));
      throw AppException.unauthorized('The session of this socket has ended.');
    }
    if (role !== user.role) socket.data.user = { ...user, role };
    return socket.data.user;
  }

  private joined(outcome: Joined, socketId: string, userId: string): JoinedAnswer {
    const { roomId } = outcome;
    if (outcome.replacedSocketId) {
      this.server.to(outcome.replacedSocketId).emit('room:replaced', { roomId });
      this.server.in(outcome.replacedSocketId).socketsLeave(ROOM_CHANNEL(roomId));
    }
    this.server.in(socketId).socketsJoin(ROOM_CHANNEL(roomId));
    if (!outcome.unchanged)
      for (const other of outcome.otherSocketIds)
        this.server.to(other).emit('room:participant-joined', { roomId, ...outcome.self });
    for (const user of outcome.waiting)
      this.server.to(socketId).emit('room:waiting', { roomId, user });
    this.metrics.joins.inc();
    const ice = this.ice.forUser(userId);
    return {
      roomId,
      sessionId: outcome.sessionId,
      participants: outcome.participants,
      iceServers: ice.iceServers,
      expiresAt: ice.expiresAt,
      polite: outcome.polite,
    };
  }

  private callAction(
    socket: SignalingSocket,
    body: unknown,
    action: Exclude<CallAction, 'accept'>,
  ): Promise<Ack<CallStatus>> {
    return this.run(socket, CallIdPayload, body, async (p, user) => {
      const call = await this.calls.act(user, p.callId, action, { socketId: socket.id });
      return { callId: call.id, status: call.status };
    });
  }

  private callAnswer(callId: string, roomId: string, userId: string): CallAnswer {
    const ice = this.ice.forUser(userId);
    return { callId, roomId, iceServers: ice.iceServers, expiresAt: ice.expiresAt };
  }

  // Emits go to users' private channels, so every device on every instance hears them.
  // Resolves with the accepting device's join when the change is an accept over signaling.
  private async onCallChange(change: CallChange): Promise<JoinedAnswer | null> {
    const { call } = change;
    const callId = call.id;
    const everyone = (call.participants ?? []).map((p) => USER_CHANNEL(p.userId));
    switch (change.kind) {
      case 'initiated':
        for (const p of call.participants ?? []) {
          if (p.userId === call.callerId) continue;
          // Each callee gets TURN credentials of their own.
          const ice = this.ice.forUser(p.userId);
          this.server.to(USER_CHANNEL(p.userId)).emit('call:incoming', {
            callId,
            roomId: call.roomId,
            from: call.callerId,
            type: call.type,
            ...(change.sdp === undefined ? {} : { sdp: change.sdp }),
            iceServers: ice.iceServers,
            expiresAt: ice.expiresAt,
          });
          // Ring first, count after: a slow instance must not delay the ringing.
          const devices = await this.server.in(USER_CHANNEL(p.userId)).fetchSockets();
          await this.calls.delivered(call, p.userId, devices.length);
        }
        return null;
      case 'accepted':
        return this.accepted(change);
      case 'rejected':
        this.server
          .to(everyone)
          .emit('call:rejected', { callId, by: change.by, status: call.status });
        return null;
      case 'cancelled':
        this.server.to(everyone).emit('call:cancelled', { callId });
        return null;
      case 'left':
        this.server.to(everyone).emit('call:participant-left', { callId, userId: change.by });
        await this.leaveCallRoom(call.roomId, change.by);
        return null;
      case 'ended':
        this.server.to(everyone).emit('call:ended', {
          callId,
          reason: call.endReason ?? 'completed',
          durationSeconds: durationSeconds(call, call.endedAt ?? new Date()),
        });
        return null;
      case 'missed':
        // A missed call is told to both sides; in an active group call only the ones who
        // never answered are told.
        // (`to([])` would address every socket: never emit to an empty list.)
        if (call.status === 'missed' || change.userIds.length > 0)
          this.server
            .to(call.status === 'missed' ? everyone : change.userIds.map(USER_CHANNEL))
            .emit('call:missed', { callId });
        return null;
    }
  }

  // After an accept both parties are in the call's room (docs/signaling.md): the server joins the
  // caller's device first (it was there first, so the accepting device is the polite one),
  // then the accepting device, and only then tells the caller, so that whatever the caller
  // sends next finds both in the room. The caller's joined device hears `call:accepted` with
  // its join answer; everyone else hears the plain event. A join that fails leaves the call
  // as it is: the client can still send `room:join` itself.
  private async accepted(
    change: Extract<CallChange, { kind: 'accepted' }>,
  ): Promise<JoinedAnswer | null> {
    const { call } = change;
    const callId = call.id;
    const mine = this.server.to(USER_CHANNEL(change.by));
    (change.socketId ? mine.except(change.socketId) : mine).emit('call:answered-elsewhere', {
      callId,
    });
    const caller = await this.joinCallerDevice(call).catch((err: unknown) => {
      this.logger.warn({ err: describe(err), callId }, 'could not join the caller to the call');
      return null;
    });
    const device = change.socketId ? this.server.sockets.get(change.socketId) : undefined;
    const accepter = device
      ? await this.joinDevice(call.roomId, device).catch((err: unknown) => {
          this.logger.warn({ err: describe(err), callId }, 'could not join the accepting device');
          return null;
        })
      : null;
    const event = {
      callId,
      by: change.by,
      ...(change.sdp === undefined ? {} : { sdp: change.sdp }),
    };
    const others = (call.participants ?? [])
      .filter((p) => p.userId !== change.by)
      .map((p) => USER_CHANNEL(p.userId));
    if (caller) {
      // The caller's answer lists whoever joined right after it.
      const { answer } = caller;
      const participants =
        accepter && !answer.participants.some((p) => p.userId === accepter.self.userId)
          ? [...answer.participants, accepter.self]
          : answer.participants;
      this.server.to(caller.socketId).emit('call:accepted', { ...event, ...answer, participants });
      if (others.length > 0)
        this.server.to(others).except(caller.socketId).emit('call:accepted', event);
    } else if (others.length > 0) this.server.to(others).emit('call:accepted', event);
    return accepter?.answer ?? null;
  }

  // Which of the caller's devices joins on accept: the socket that started the call if it is
  // still connected; otherwise (started over REST, or that socket is gone) the caller's only
  // connected device. With several and none of them the starter, none is picked (one device
  // per user per room): the device the caller uses sends `room:join`. Nobody is joined when
  // the caller is already in the room or has left the call.
  private async joinCallerDevice(call: CallEntity): Promise<DeviceJoin | null> {
    const me = call.participants?.find((p) => p.userId === call.callerId);
    if (me?.state !== 'joined') return null;
    if ((await this.presence.liveSockets(call.roomId)).has(call.callerId)) return null;
    let device = call.callerSocketId
      ? (await this.server.in(call.callerSocketId).fetchSockets()).find(
          (s) => s.data.user.id === call.callerId,
        )
      : undefined;
    if (!device) {
      const all = await this.server.in(USER_CHANNEL(call.callerId)).fetchSockets();
      device = all.length === 1 ? all[0] : undefined;
    }
    if (!device) return null;
    return this.joinDevice(call.roomId, device);
  }

  // A participant who left a group call that goes on leaves its room as well.
  private async leaveCallRoom(roomId: string, userId: string): Promise<void> {
    const socketId = (await this.presence.liveSockets(roomId)).get(userId)?.socketId;
    if (!socketId) return;
    const [device] = await this.server.in(socketId).fetchSockets();
    if (!device) return;
    const left = await this.presence.leave(device.data.user, roomId, socketId);
    this.server.in(socketId).socketsLeave(ROOM_CHANNEL(roomId));
    if (left) this.notifyLeft(left.roomId, left.userId, left.otherSocketIds);
  }

  private async joinDevice(
    roomId: string,
    device: { id: string; data: SocketData },
  ): Promise<DeviceJoin | null> {
    const { user, instanceId } = device.data;
    const outcome = await this.presence.join(user, roomId, device.id, instanceId);
    if (outcome.kind !== 'joined') return null;
    return {
      socketId: device.id,
      self: outcome.self,
      answer: this.joined(outcome, device.id, user.id),
    };
  }

  private notifyLeft(roomId: string, userId: string, socketIds: string[]): void {
    for (const id of socketIds)
      this.server.to(id).emit('room:participant-left', { roomId, userId });
  }

  // One socket's signals are relayed in the order it sent them. Each relay first looks the
  // room up (in PostgreSQL when this instance holds no current view of it); run side by
  // side, those lookups finish in any order, so a candidate could overtake the offer it
  // belongs to, or an offer the answer sent before it, and the two peers' negotiation would
  // break (a connection stuck in `new`). Socket.IO delivers one socket's packets in order;
  // this queue keeps that order through the relay.
  private inOrder<R>(socket: SignalingSocket, work: () => Promise<R>): Promise<R> {
    return enqueue(this.relayQueues, socket, work);
  }

  // The relay events are bound to each socket here rather than with @SubscribeMessage: they are
  // nearly all of signaling's traffic, and Nest's per-call machinery (parameter resolution, an
  // exception zone, an RxJS answer; these handlers use none of it: no guard, pipe, interceptor
  // or filter) cost more CPU than the relay itself. One listener per event serves every socket
  // (the socket is `this`). The rate limit runs before them as before (socket.use).
  private readonly relayListeners: { [E in RelayEvent]: RelayListener } = {
    'call:offer': this.relayListener('call:offer', SdpPayload, sdpMessage),
    'call:answer': this.relayListener('call:answer', SdpPayload, sdpMessage),
    'call:ice-candidate': this.relayListener(
      'call:ice-candidate',
      IceCandidatePayload,
      (p, from) => ({
        roomId: p.roomId,
        from,
        candidate: { ...p.candidate },
      }),
    ),
  };

  private relayListener<E extends RelayEvent, D extends RelayPayload>(
    event: E,
    dto: Type<D>,
    build: (p: D, from: string) => RelayMessage<E>,
  ): RelayListener {
    const onEvent = (socket: SignalingSocket, args: unknown[]): void => {
      const { data, ack } = eventArgs(args);
      const answer = (a: Ack<Empty>): void => {
        if (typeof ack === 'function' && socket.connected) (ack as (a: Ack<Empty>) => void)(a);
      };
      // The common case answers at once: nothing of this socket queued before it, a payload in
      // the shape the DTO certainly accepts, and a current view of the room that permits it.
      // (Only for a user whose standing is known to be good right now.)
      if (!this.relayQueues.has(socket) && this.tokens.peekRole(socket.data.user)) {
        const p = quickRelayPayload<D>(dto, data, MAX_EVENT_BYTES);
        const live = p && this.presence.liveSocketsNow(p.roomId);
        const target = p && live && !relayRefusal(live, socket, p.to) && live.get(p.to);
        if (p && target) {
          this.emitRelay(event, target, build(p, socket.data.user.id));
          return answer({ ok: true, data: {} });
        }
      }
      this.inOrder(socket, () =>
        this.run(socket, dto, data, (p, user) => this.relay(socket, user, event, p, build)),
      )
        .then(answer)
        .catch((err: unknown) => {
          this.logger.error({ err: describe(err), socketId: socket.id, event }, 'relay failed');
        });
    };
    return function (this: SignalingSocket, ...args: unknown[]): void {
      onEvent(this, args);
    };
  }

  // Relay only from the sender's joined socket to another participant's joined socket of the
  // same room. `from` is always the authenticated sender.
  private async relay<E extends RelayEvent, D extends RelayPayload>(
    socket: SignalingSocket,
    user: AuthUser,
    event: E,
    p: D,
    build: (p: D, from: string) => RelayMessage<E>,
  ): Promise<Empty> {
    const live = await this.presence.liveSockets(p.roomId);
    const reason = relayRefusal(live, socket, p.to);
    const target = live.get(p.to);
    if (reason || !target) {
      await this.audit.record({
        action: AuditAction.SignalingRelay,
        outcome: AuditOutcome.Denied,
        actor: { userId: user.id, role: user.role },
        resource: { type: 'room', id: p.roomId },
        details: { event, reason: reason ?? 'target-not-in-room' },
      });
      throw AppException.forbidden(
        'You can only signal another participant of a room you have joined.',
      );
    }
    this.emitRelay(event, target, build(p, user.id));
    return {};
  }

  private emitRelay<E extends RelayEvent>(
    event: E,
    target: Readonly<SocketRef>,
    payload: RelayMessage<E>,
  ): void {
    // A target on this instance gets the message directly; one on another instance through
    // the relay bus (batched, on that instance's channel); the adapter is left for a socket
    // whose instance is not known.
    const local = this.server.sockets.get(target.socketId);
    const elsewhere =
      !local && target.instanceId !== null && target.instanceId !== this.presence.instanceId;
    if (!elsewhere || !this.bus.send(target.instanceId, target.socketId, event, payload)) {
      const emitter = local ?? this.server.to(target.socketId);
      (emitter.emit as (ev: E, payload: RelayMessage<E>) => boolean).call(emitter, event, payload);
    }
    this.metrics.relayed.inc({ event });
  }

  private async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      this.ticks++;
      // Every 5 s: prove this instance alive and release the sockets of dead ones.
      // Its own try: without Redis the heartbeat fails, and that must not stop the grace and
      // ring deadlines below, which live in PostgreSQL.
      if (this.ticks % 10 === 1) {
        await this.presence
          .heartbeat()
          .then(() => this.presence.releaseDeadInstances())
          .catch((err: unknown) => {
            this.logger.warn({ err: describe(err) }, 'signaling heartbeat failed');
          });
      }
      for (const left of await this.presence.expireGraces()) {
        this.notifyLeft(left.roomId, left.userId, left.otherSocketIds);
        await this.calls.dropped(left.roomId, left.userId);
      }
      await this.calls.expireRinging();
      await this.checkLocalSockets();
      if (this.ticks % 10 === 1) {
        this.metrics.sessionsActive.set(await this.sessions.countActive());
        await this.calls.refreshActiveGauge();
      }
      if (this.lifecycle.draining && !this.drainingAnnounced) {
        this.drainingAnnounced = true;
        this.server.local.emit('server:draining', { reconnect: true });
      }
    } catch (err) {
      this.logger.error({ err: describe(err) }, 'signaling housekeeping failed');
    } finally {
      this.ticking = false;
    }
  }

  private async checkLocalSockets(): Promise<void> {
    const now = Date.now();
    const due: SignalingSocket[] = [];
    for (const socket of this.server.sockets.values()) {
      if (now >= socket.data.expiresAt) {
        socket.emit('auth:expired', {});
        socket.disconnect(true);
        continue;
      }
      if (now - (socket.data.revocationCheckedAt ?? 0) >= REVOCATION_CHECK_MS) due.push(socket);
    }
    if (due.length > 0) await this.recheck(due, now);
    for (const socket of this.server.sockets.values()) {
      const data = socket.data;
      // While a socket is in a room, hand it fresh TURN credentials before the old expire.
      const inRoom = [...socket.rooms].some((r) => r.startsWith('room:'));
      if (inRoom && iceRefreshDue(now, data.iceExpiresAt, this.ice.ttlSeconds)) {
        const ice = this.ice.forUser(data.user.id);
        if (data.iceExpiresAt !== undefined)
          socket.emit('ice:servers', { iceServers: ice.iceServers, expiresAt: ice.expiresAt });
        data.iceExpiresAt = Date.parse(ice.expiresAt);
      }
    }
  }

  // The standing of the users behind these sockets, read in one go where it is not known:
  // a revoked session or a deactivated user is cut, a changed role is taken up. A socket
  // already authenticated rides out an outage of the database (checked again next tick, so a
  // change made before or during the outage cuts it as soon as the record answers).
  private async recheck(sockets: SignalingSocket[], now: number): Promise<void> {
    try {
      await this.tokens.confirm(sockets.map((s) => s.data.user));
    } catch (err) {
      if (!isDependencyFailure(err))
        this.logger.error({ err: describe(err) }, 'could not check the standing of live sockets');
      return;
    }
    for (const socket of sockets) {
      const role = this.tokens.peekRole(socket.data.user);
      if (role === undefined) continue;
      socket.data.revocationCheckedAt = now;
      if (role === null) socket.disconnect(true);
      else if (role !== socket.data.user.role) socket.data.user = { ...socket.data.user, role };
    }
  }
}

// Runs `work` after everything queued before it for the same socket in `queues`. The queue
// goes on past a failure (`run` answers failures with an error ack, so the relay's never
// rejects; the catch guards the chain against a future change). A socket is in `queues` only
// while something of it is queued.
function enqueue<R>(
  queues: WeakMap<SignalingSocket, Promise<unknown>>,
  socket: SignalingSocket,
  work: () => Promise<R>,
): Promise<R> {
  const next = (queues.get(socket) ?? Promise.resolve()).then(work);
  const done = (): void => {
    if (queues.get(socket) === tail) queues.delete(socket);
  };
  const tail: Promise<unknown> = next.then(done, done);
  queues.set(socket, tail);
  return next;
}

// The relay's check: the sender's socket is the one joined in the room and the target is
// another participant joined in it. Why it is refused, or null.
function relayRefusal(
  live: RoomSockets,
  socket: SignalingSocket,
  to: string,
): 'sender-not-joined' | 'target-not-in-room' | null {
  const user = socket.data.user.id;
  if (live.get(user)?.socketId !== socket.id) return 'sender-not-joined';
  if (to === user || !live.has(to)) return 'target-not-in-room';
  return null;
}

function sdpMessage(p: SdpPayload, from: string): { roomId: string; from: string; sdp: string } {
  return { roomId: p.roomId, from, sdp: p.sdp };
}

function failure(
  code: ErrorCode,
  message: string,
  retryAfter?: number,
): { ok: false; error: AckError } {
  return {
    ok: false,
    error:
      retryAfter === undefined
        ? { code: `${code}`, message }
        : { code: `${code}`, message, retryAfter },
  };
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
