import { type BeforeApplicationShutdown, Logger, type OnModuleDestroy } from '@nestjs/common';
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
import { AppException } from '../../common/errors/app.exception';
import { type CallAction, CallsService } from '../calls/calls.service';
import {
  AcceptCallPayload,
  CallIdPayload,
  CallStatsPayload,
  InitiateCallPayload,
} from '../calls/dto/call.dto';
import { ChatService } from '../chat/chat.service';
import { ReadPayload, SendMessagePayload, TypingPayload } from '../chat/dto/chat.dto';
import { RoomPresenceService } from '../sessions/room-presence.service';
import { CallFanout } from './call-fanout';
import { ChatFanout } from './chat-fanout';
import { AdmitPayload, QueueNextPayload, RefreshPayload, RoomPayload } from './dto/signaling.dto';
import { EventAdmission } from './event-admission';
import { EventRunner } from './event-runner';
import { QueueFanout } from './queue-fanout';
import { guestEventFilter } from './guest-events';
import { RoomFanout } from './room-fanout';
import { SignalRelay } from './signal-relay';
import type {
  Ack,
  CallAnswer,
  CallStatus,
  ChatMessage,
  JoinedAnswer,
  QueueAdmitted,
  WaitingAnswer,
} from './signaling-events';
import { SignalingMetrics } from './signaling.metrics';
import {
  describe,
  type Empty,
  ROOM_CHANNEL,
  type SignalingNamespace,
  SignalingServer,
  type SignalingSocket,
  USER_CHANNEL,
} from './signaling-socket';
import { SocketHandshake } from './socket-handshake';
import { AccessTokenPort } from './socket-auth.port';
import { SocketSlots } from './socket-slots';
import { SocketUpkeep } from './socket-upkeep';

// The Socket.IO edge of docs/signaling.md, and nothing more: it wires the pieces beside it to
// the `/signaling` namespace and turns each client event into a call to a service. The
// handshake is SocketHandshake, the rate limit EventAdmission, the relay SignalRelay, call and
// room announcements CallFanout and RoomFanout, the upkeep of this instance's sockets
// SocketUpkeep. Domain deadlines are swept by the sessions and calls modules. Emits to other
// instances go through the Socket.IO Redis adapter.
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
  private shuttingDown = false;

  constructor(
    private readonly io: SignalingServer,
    private readonly handshake: SocketHandshake,
    private readonly admission: EventAdmission,
    private readonly runner: EventRunner,
    private readonly relay: SignalRelay,
    private readonly rooms: RoomFanout,
    private readonly callFanout: CallFanout,
    private readonly queue: QueueFanout,
    private readonly upkeep: SocketUpkeep,
    private readonly tokens: AccessTokenPort,
    private readonly presence: RoomPresenceService,
    private readonly calls: CallsService,
    private readonly slots: SocketSlots,
    private readonly metrics: SignalingMetrics,
    private readonly chat: ChatService,
    private readonly chatFanout: ChatFanout,
  ) {}

  afterInit(namespace: SignalingNamespace): void {
    this.io.attach(namespace);
    // Nest guards do not run on connection: this middleware is the authentication.
    namespace.use((socket, next) => {
      this.handshake.authenticate(socket).then(
        () => next(),
        (err: unknown) => next(err instanceof Error ? err : new Error('UNAUTHORIZED')),
      );
    });
    this.relay.start();
    this.rooms.start();
    this.callFanout.start();
    this.queue.start();
    this.chatFanout.start();
    this.upkeep.start();
  }

  handleConnection(socket: SignalingSocket): void {
    this.metrics.sockets.inc();
    void socket.join(USER_CHANNEL(socket.data.user.id));
    socket.use((packet, next) => this.admission.admit(socket, packet, next));
    socket.use((packet, next) => guestEventFilter(socket, packet, next));
    this.relay.attach(socket);
  }

  handleDisconnect(socket: SignalingSocket): void {
    this.metrics.sockets.dec();
    this.admission.forget(socket.id);
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
    return this.runner.run(socket, RoomPayload, body, async (p, user) => {
      const outcome = await this.presence.join(user, p.roomId, socket.id);
      if (outcome.kind === 'waiting') {
        this.server
          .to(USER_CHANNEL(outcome.hostId))
          .emit('room:waiting', { roomId: p.roomId, user: outcome.user });
        return { waiting: true } as const;
      }
      return this.rooms.joined(outcome, socket.id, user.id);
    });
  }

  @SubscribeMessage('room:admit')
  admit(
    @ConnectedSocket() socket: SignalingSocket,
    @MessageBody() body: unknown,
  ): Promise<Ack<Empty>> {
    return this.runner.run(socket, AdmitPayload, body, async (p, user) => {
      const { joined, socketId } = await this.presence.admit(user, p.roomId, p.userId);
      this.server.to(socketId).emit('room:admitted', this.rooms.joined(joined, socketId, p.userId));
      return {};
    });
  }

  // The next person of a clinician's queue (docs/appointments.md, "The queue").
  @SubscribeMessage('queue:next')
  queueNext(
    @ConnectedSocket() socket: SignalingSocket,
    @MessageBody() body: unknown,
  ): Promise<Ack<QueueAdmitted>> {
    return this.runner.run(socket, QueueNextPayload, body, (p, user) =>
      this.queue.next(user, p.clinicianId),
    );
  }

  @SubscribeMessage('room:leave')
  leave(
    @ConnectedSocket() socket: SignalingSocket,
    @MessageBody() body: unknown,
  ): Promise<Ack<Empty>> {
    return this.runner.run(socket, RoomPayload, body, async (p, user) => {
      const left = await this.presence.leave(user, p.roomId, socket.id);
      await socket.leave(ROOM_CHANNEL(p.roomId));
      if (left) this.rooms.left(left.roomId, left.userId, left.otherSocketIds);
      return {};
    });
  }

  @SubscribeMessage('auth:refresh')
  refresh(
    @ConnectedSocket() socket: SignalingSocket,
    @MessageBody() body: unknown,
  ): Promise<Ack<{ expiresAt: string }>> {
    return this.runner.run(socket, RefreshPayload, body, async (p, user) => {
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
  // CallEvents and are signalled by CallFanout, whichever way they were made.

  @SubscribeMessage('call:initiate')
  initiateCall(
    @ConnectedSocket() socket: SignalingSocket,
    @MessageBody() body: unknown,
  ): Promise<Ack<CallAnswer>> {
    return this.runner.run(socket, InitiateCallPayload, body, async (p, user) => {
      const call = await this.calls.initiate(user, p, socket.id);
      return this.callFanout.callAnswer(call.id, call.roomId, user.id);
    });
  }

  // The accept joins this device (and the caller's) to the call's room in its own transaction
  // (docs/calls.md, "What the server does on accept"); this device's join answer rides along in
  // the ack (additive); a device that was not joined can still join itself.
  @SubscribeMessage('call:accept')
  acceptCall(
    @ConnectedSocket() socket: SignalingSocket,
    @MessageBody() body: unknown,
  ): Promise<Ack<CallAnswer>> {
    return this.runner.run(socket, AcceptCallPayload, body, async (p, user) => {
      const devices = this.callFanout.acceptDevices(socket);
      const accept = await this.calls.acceptOverSignaling(user, p.callId, p.sdp, devices);
      const { call } = accept;
      let joined: JoinedAnswer | null = null;
      try {
        joined = this.callFanout.announceAccepted(call, user.id, p.sdp, devices, accept);
      } catch (err) {
        this.logger.error(
          { err: describe(err), callId: call.id, kind: 'accepted' },
          'could not signal a call change',
        );
      }
      return { ...this.callFanout.callAnswer(call.id, call.roomId, user.id), ...joined };
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
    return this.runner.run(socket, CallStatsPayload, body, async (p, user) => {
      await this.calls.stats(user, p);
      return {};
    });
  }

  // Chat (docs/chat.md): the chat module decides and stores; ChatFanout delivers.

  @SubscribeMessage('chat:send')
  sendChat(
    @ConnectedSocket() socket: SignalingSocket,
    @MessageBody() body: unknown,
  ): Promise<Ack<{ message: ChatMessage }>> {
    return this.runner.run(socket, SendMessagePayload, body, (p, user) => this.chat.send(user, p));
  }

  @SubscribeMessage('chat:typing')
  chatTyping(
    @ConnectedSocket() socket: SignalingSocket,
    @MessageBody() body: unknown,
  ): Promise<Ack<Empty>> {
    return this.runner.run(socket, TypingPayload, body, async (p, user) => {
      await this.chat.typing(user, p.roomId);
      return {};
    });
  }

  @SubscribeMessage('chat:read')
  chatRead(
    @ConnectedSocket() socket: SignalingSocket,
    @MessageBody() body: unknown,
  ): Promise<Ack<Empty>> {
    return this.runner.run(socket, ReadPayload, body, async (p, user) => {
      await this.chat.read(user, p);
      return {};
    });
  }

  onModuleDestroy(): void {
    this.upkeep.stop();
    this.rooms.stop();
    this.callFanout.stop();
    this.queue.stop();
    this.chatFanout.stop();
  }

  // Before the database closes: tell this instance's clients to reconnect elsewhere and start
  // their reconnect grace, so their sessions survive the restart.
  async beforeApplicationShutdown(): Promise<void> {
    this.upkeep.stop();
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

  private callAction(
    socket: SignalingSocket,
    body: unknown,
    action: Exclude<CallAction, 'accept'>,
  ): Promise<Ack<CallStatus>> {
    return this.runner.run(socket, CallIdPayload, body, async (p, user) => {
      const call = await this.calls.act(user, p.callId, action);
      return { callId: call.id, status: call.status };
    });
  }
}
