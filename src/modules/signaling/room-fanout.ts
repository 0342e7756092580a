import { Injectable } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { IceService } from '../ice/ice.service';
import type { Joined } from '../sessions/room-presence.service';
import { SessionEvents } from '../sessions/session-events';
import type { JoinedAnswer } from './signaling-events';
import { SignalingMetrics } from './signaling.metrics';
import { ROOM_CHANNEL, SignalingServer, USER_CHANNEL } from './signaling-socket';

// Room presence as sockets see it: the answer and announcements of a join, the announcement
// of a leave, and the sessions module's events (a session ended, a user removed, a reconnect
// grace run out) turned into socket events. The events carry ids only: whom to tell is found
// from the user's and the room's channels.
@Injectable()
export class RoomFanout {
  private subscriptions: Subscription[] = [];

  constructor(
    private readonly server: SignalingServer,
    private readonly ice: IceService,
    private readonly metrics: SignalingMetrics,
    private readonly events: SessionEvents,
  ) {}

  start(): void {
    this.subscriptions = [
      this.events.ended.subscribe((e) => {
        const io = this.server.io;
        io.to(ROOM_CHANNEL(e.roomId)).emit('room:session-ended', {
          roomId: e.roomId,
          sessionId: e.sessionId,
          reason: e.reason,
        });
        io.in(ROOM_CHANNEL(e.roomId)).socketsLeave(ROOM_CHANNEL(e.roomId));
      }),
      // A user taken out of a room server-side (consent withdrawn, removed by the host): all
      // their devices hear it and leave the room's channel, wherever they are connected; the
      // others hear that they left.
      this.events.removed.subscribe((e) => {
        const io = this.server.io;
        io.to(USER_CHANNEL(e.userId)).emit('room:removed', { roomId: e.roomId, reason: e.reason });
        io.in(USER_CHANNEL(e.userId)).socketsLeave(ROOM_CHANNEL(e.roomId));
        if (e.sessionId !== null) this.leftRoom(e.roomId, e.userId);
      }),
      this.events.graceExpired.subscribe((e) => this.leftRoom(e.roomId, e.userId)),
    ];
  }

  stop(): void {
    for (const s of this.subscriptions) s.unsubscribe();
    this.subscriptions = [];
  }

  // A device joined (itself, admitted, or by the server on a call's accept): it enters the
  // room's channel, a device it replaced leaves it, the others hear of it (unless nothing
  // changed), and a host sees the queued knocks again. Returns its join answer.
  joined(outcome: Joined, socketId: string, userId: string): JoinedAnswer {
    const io = this.server.io;
    const { roomId } = outcome;
    if (outcome.replacedSocketId) {
      io.to(outcome.replacedSocketId).emit('room:replaced', { roomId });
      io.in(outcome.replacedSocketId).socketsLeave(ROOM_CHANNEL(roomId));
    }
    io.in(socketId).socketsJoin(ROOM_CHANNEL(roomId));
    if (!outcome.unchanged)
      for (const other of outcome.otherSocketIds)
        io.to(other).emit('room:participant-joined', { roomId, ...outcome.self });
    for (const user of outcome.waiting) io.to(socketId).emit('room:waiting', { roomId, user });
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

  // A leave this instance made: the sockets that were in the room with them are known.
  left(roomId: string, userId: string, socketIds: string[]): void {
    for (const id of socketIds)
      this.server.io.to(id).emit('room:participant-left', { roomId, userId });
  }

  // A leave made elsewhere (an event): everyone in the room's channel but the user's own
  // devices, which may still be on their way out of it on another instance.
  private leftRoom(roomId: string, userId: string): void {
    this.server.io
      .to(ROOM_CHANNEL(roomId))
      .except(USER_CHANNEL(userId))
      .emit('room:participant-left', { roomId, userId });
  }
}
