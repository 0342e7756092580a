import { Injectable, Logger, type Type } from '@nestjs/common';
import type { AuthUser } from '../../common/auth/auth-user';
import { AppException } from '../../common/errors/app.exception';
import { AuditAction, AuditOutcome } from '../audit/audit-action';
import { AuditService } from '../audit/audit.service';
import { InstanceLiveness } from '../sessions/instance-liveness.service';
import { RoomPresenceService } from '../sessions/room-presence.service';
import type { RoomSockets } from '../sessions/room-sockets.cache';
import { IceCandidatePayload, SdpPayload } from './dto/signaling.dto';
import { eventArgs, MAX_EVENT_BYTES } from './event-payload';
import { EventRunner } from './event-runner';
import { RelayBus } from './relay-bus';
import { quickRelayPayload } from './relay-payload';
import {
  type Ack,
  RELAY_EVENTS,
  type RelayEvent,
  type ServerToClientEvents,
} from './signaling-events';
import { SignalingMetrics } from './signaling.metrics';
import { describe, type Empty, SignalingServer, type SignalingSocket } from './signaling-socket';
import { SocketQueue } from './socket-queue';
import { AccessTokenPort } from './socket-auth.port';

type RelayPayload = SdpPayload | IceCandidatePayload;
// Where a participant's joined socket is: its id and instance.
type SocketRef = NonNullable<ReturnType<RoomSockets['get']>>;
type RelayMessage<E extends RelayEvent> = Parameters<ServerToClientEvents[E]>[0];
type RelayListener = (this: SignalingSocket, ...args: unknown[]) => void;

// The relay of `call:offer`, `call:answer` and `call:ice-candidate` between two participants
// joined in the same room (docs/signaling.md, "Relay"). SDP and candidates are passed
// through, never logged or stored.
@Injectable()
export class SignalRelay {
  private readonly logger = new Logger('Signaling');
  // Per socket, its relayed signals waiting their turn (see inOrder).
  private readonly queue = new SocketQueue<SignalingSocket>();

  constructor(
    private readonly server: SignalingServer,
    private readonly runner: EventRunner,
    private readonly tokens: AccessTokenPort,
    private readonly presence: RoomPresenceService,
    private readonly liveness: InstanceLiveness,
    private readonly audit: AuditService,
    private readonly bus: RelayBus,
    private readonly metrics: SignalingMetrics,
  ) {}

  // Relays from other instances arrive on this instance's own channel.
  start(): void {
    this.bus.listen(this.liveness.instanceId, this.server.io.sockets).catch((err: unknown) => {
      this.logger.error(
        { err: describe(err) },
        'could not subscribe to relays from other instances',
      );
    });
  }

  attach(socket: SignalingSocket): void {
    for (const event of RELAY_EVENTS) socket.on(event, this.listeners[event]);
  }

  // The relay events are bound to each socket here rather than with @SubscribeMessage: they are
  // nearly all of signaling's traffic, and Nest's per-call machinery (parameter resolution, an
  // exception zone, an RxJS answer; these handlers use none of it: no guard, pipe, interceptor
  // or filter) cost more CPU than the relay itself. One listener per event serves every socket
  // (the socket is `this`). The rate limit runs before them as before (socket.use).
  private readonly listeners: { [E in RelayEvent]: RelayListener } = {
    'call:offer': this.listener('call:offer', SdpPayload, sdpMessage),
    'call:answer': this.listener('call:answer', SdpPayload, sdpMessage),
    'call:ice-candidate': this.listener('call:ice-candidate', IceCandidatePayload, (p, from) => ({
      roomId: p.roomId,
      from,
      candidate: { ...p.candidate },
    })),
  };

  private listener<E extends RelayEvent, D extends RelayPayload>(
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
      if (!this.queue.busy(socket) && this.tokens.peekRole(socket.data.user)) {
        const p = quickRelayPayload<D>(dto, data, MAX_EVENT_BYTES);
        const live = p && this.presence.liveSocketsNow(p.roomId);
        const target = p && live && !relayRefusal(live, socket, p.to) && live.get(p.to);
        if (p && target) {
          this.emit(event, target, build(p, socket.data.user.id));
          return answer({ ok: true, data: {} });
        }
      }
      this.inOrder(socket, () =>
        this.runner.run(socket, dto, data, (p, user) => this.relay(socket, user, event, p, build)),
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

  // One socket's signals are relayed in the order it sent them. Each relay first looks the
  // room up (in PostgreSQL when this instance holds no current view of it); run side by
  // side, those lookups finish in any order, so a candidate could overtake the offer it
  // belongs to, or an offer the answer sent before it, and the two peers' negotiation would
  // break (a connection stuck in `new`). Socket.IO delivers one socket's packets in order;
  // this queue keeps that order through the relay. (`run` answers failures with an error
  // ack, so a relay's work never rejects.)
  private inOrder<R>(socket: SignalingSocket, work: () => Promise<R>): Promise<R> {
    return this.queue.run(socket, work);
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
    this.emit(event, target, build(p, user.id));
    return {};
  }

  private emit<E extends RelayEvent>(
    event: E,
    target: Readonly<SocketRef>,
    payload: RelayMessage<E>,
  ): void {
    // A target on this instance gets the message directly; one on another instance through
    // the relay bus (batched, on that instance's channel); the adapter is left for a socket
    // whose instance is not known.
    const io = this.server.io;
    const local = io.sockets.get(target.socketId);
    const elsewhere =
      !local && target.instanceId !== null && target.instanceId !== this.liveness.instanceId;
    if (!elsewhere || !this.bus.send(target.instanceId, target.socketId, event, payload)) {
      const emitter = local ?? io.to(target.socketId);
      (emitter.emit as (ev: E, payload: RelayMessage<E>) => boolean).call(emitter, event, payload);
    }
    this.metrics.relayed.inc({ event });
  }
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
