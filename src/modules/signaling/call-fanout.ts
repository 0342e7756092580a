import { Injectable, Logger } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { type CallChange, CallEvents, type CallView } from '../calls/call-events';
import { type AcceptDevices, CallsService, type SignalingAccept } from '../calls/calls.service';
import { IceService } from '../ice/ice.service';
import { type Joined, RoomPresenceService } from '../sessions/room-presence.service';
import { RoomFanout } from './room-fanout';
import type { CallAnswer, JoinedAnswer, Participant } from './signaling-events';
import {
  describe,
  ROOM_CHANNEL,
  type SocketData,
  SignalingServer,
  USER_CHANNEL,
} from './signaling-socket';

// A device the server joined to a call's room: its join answer, and how others see it.
interface DeviceJoin {
  socketId: string;
  self: Participant;
  answer: JoinedAnswer;
}

// Direct calls as sockets see them (docs/signaling.md, "Direct calls"): each change the calls
// module publishes (CallEvents) becomes socket events on the participants' private channels,
// so every device on every instance hears them, whichever way (REST or signaling) the change
// was made. An accept over signaling is the exception: its handler calls `accepted` itself,
// because it knows the accepting socket and answers with that device's join.
@Injectable()
export class CallFanout {
  private readonly logger = new Logger('Signaling');
  private subscription: Subscription | undefined;

  constructor(
    private readonly server: SignalingServer,
    private readonly ice: IceService,
    private readonly calls: CallsService,
    private readonly presence: RoomPresenceService,
    private readonly rooms: RoomFanout,
    private readonly events: CallEvents,
  ) {}

  start(): void {
    this.subscription = this.events.changes.subscribe((change) => {
      if (change.kind === 'accepted' && change.viaSignaling) return;
      this.onCallChange(change).catch((err: unknown) => {
        this.logger.error(
          { err: describe(err), callId: change.call.id, kind: change.kind },
          'could not signal a call change',
        );
      });
    });
  }

  stop(): void {
    this.subscription?.unsubscribe();
  }

  // The answer to `call:initiate` and `call:accept`: the call's room and this device's ICE.
  callAnswer(callId: string, roomId: string, userId: string): CallAnswer {
    const ice = this.ice.forUser(userId);
    return { callId, roomId, iceServers: ice.iceServers, expiresAt: ice.expiresAt };
  }

  // The devices an accept over signaling joins to the call's room: the accepting socket, and
  // how to find the caller's device, which the accept's transaction asks for (with the socket
  // that started the call, read under the call's lock) only when the caller is to be joined.
  acceptDevices(socket: { id: string; data: SocketData }): AcceptDevices {
    return {
      accepting: { socketId: socket.id, instanceId: socket.data.instanceId },
      findCaller: async (callerId, callerSocketId) => {
        const device = await this.callerDevice(callerId, callerSocketId);
        return device
          ? { socketId: device.id, instanceId: device.data.instanceId, user: device.data.user }
          : null;
      },
    };
  }

  // After an accept both parties are in the call's room (docs/signaling.md): the server joins
  // the caller's device first (it was there first, so the accepting device is the polite one),
  // then the accepting device, and only then tells the caller, so that whatever the caller
  // sends next finds both in the room. The caller's joined device hears `call:accepted` with
  // its join answer; everyone else hears the plain event. A join that fails leaves the call
  // as it is: the client can still send `room:join` itself. This is the way of an accept over
  // REST (no accepting device), where each join is a transaction of its own after the
  // accept's; an accept over signaling joins both devices in its own transaction and is
  // announced by `announceAccepted`.
  async accepted(call: CallView, by: string, sdp: string | undefined): Promise<void> {
    const callId = call.id;
    this.server.io.to(USER_CHANNEL(by)).emit('call:answered-elsewhere', { callId });
    const caller = await this.joinCallerDevice(call).catch((err: unknown) => {
      this.logger.warn({ err: describe(err), callId }, 'could not join the caller to the call');
      return null;
    });
    this.tellAccepted(call, by, sdp, caller, null);
  }

  // An accept over signaling, committed with the joins of its devices: the accepting user's
  // other devices stop ringing, the joined devices enter the room's channel (the others in
  // the room hear of them), then `call:accepted` goes out. Resolves with the accepting
  // device's join answer (null when it was not joined).
  announceAccepted(
    call: CallView,
    by: string,
    sdp: string | undefined,
    devices: AcceptDevices,
    joins: Pick<SignalingAccept, 'callerDevice' | 'callerJoin' | 'accepterJoin'>,
  ): JoinedAnswer | null {
    const accepting = devices.accepting.socketId;
    this.server.io
      .to(USER_CHANNEL(by))
      .except(accepting)
      .emit('call:answered-elsewhere', { callId: call.id });
    const caller =
      joins.callerDevice && joins.callerJoin
        ? this.announceJoin(
            joins.callerJoin,
            joins.callerDevice.socketId,
            joins.callerDevice.user.id,
          )
        : null;
    const accepter = joins.accepterJoin
      ? this.announceJoin(joins.accepterJoin, accepting, by)
      : null;
    this.tellAccepted(call, by, sdp, caller, accepter);
    return accepter?.answer ?? null;
  }

  private tellAccepted(
    call: CallView,
    by: string,
    sdp: string | undefined,
    caller: DeviceJoin | null,
    accepter: DeviceJoin | null,
  ): void {
    const io = this.server.io;
    const event = { callId: call.id, by, ...(sdp === undefined ? {} : { sdp }) };
    const others = call.participants
      .filter((p) => p.userId !== by)
      .map((p) => USER_CHANNEL(p.userId));
    if (caller) {
      // The caller's answer lists whoever joined right after it.
      const { answer } = caller;
      const participants =
        accepter && !answer.participants.some((p) => p.userId === accepter.self.userId)
          ? [...answer.participants, accepter.self]
          : answer.participants;
      io.to(caller.socketId).emit('call:accepted', { ...event, ...answer, participants });
      if (others.length > 0) io.to(others).except(caller.socketId).emit('call:accepted', event);
    } else if (others.length > 0) io.to(others).emit('call:accepted', event);
  }

  private async onCallChange(change: CallChange): Promise<void> {
    const io = this.server.io;
    const { call } = change;
    const callId = call.id;
    const everyone = call.participants.map((p) => USER_CHANNEL(p.userId));
    switch (change.kind) {
      case 'initiated':
        for (const p of call.participants) {
          if (p.userId === call.callerId) continue;
          // Each callee gets TURN credentials of their own.
          const ice = this.ice.forUser(p.userId);
          io.to(USER_CHANNEL(p.userId)).emit('call:incoming', {
            callId,
            roomId: call.roomId,
            from: call.callerId,
            type: call.type,
            ...(change.sdp === undefined ? {} : { sdp: change.sdp }),
            iceServers: ice.iceServers,
            expiresAt: ice.expiresAt,
          });
          // Ring first, count after: a slow instance must not delay the ringing.
          const devices = await io.in(USER_CHANNEL(p.userId)).fetchSockets();
          await this.calls.delivered(call, p.userId, devices.length);
        }
        return;
      case 'accepted':
        await this.accepted(call, change.by, change.sdp);
        return;
      case 'rejected':
        io.to(everyone).emit('call:rejected', { callId, by: change.by, status: call.status });
        return;
      case 'cancelled':
        io.to(everyone).emit('call:cancelled', { callId });
        return;
      case 'left':
        io.to(everyone).emit('call:participant-left', { callId, userId: change.by });
        await this.leaveCallRoom(call.roomId, change.by);
        return;
      case 'ended':
        io.to(everyone).emit('call:ended', {
          callId,
          reason: call.endReason ?? 'completed',
          durationSeconds: call.durationSeconds,
        });
        return;
      case 'missed':
        // A missed call is told to both sides; in an active group call only the ones who
        // never answered are told.
        // (`to([])` would address every socket: never emit to an empty list.)
        if (call.status === 'missed' || change.userIds.length > 0)
          io.to(call.status === 'missed' ? everyone : change.userIds.map(USER_CHANNEL)).emit(
            'call:missed',
            { callId },
          );
        return;
    }
  }

  // Which of the caller's devices joins on accept: the socket that started the call if it is
  // still connected; otherwise (started over REST, or that socket is gone) the caller's only
  // connected device. With several and none of them the starter, none is picked (one device
  // per user per room): the device the caller uses sends `room:join`. Nobody is joined when
  // the caller is already in the room or has left the call.
  private async joinCallerDevice(call: CallView): Promise<DeviceJoin | null> {
    const me = call.participants.find((p) => p.userId === call.callerId);
    if (me?.state !== 'joined') return null;
    if ((await this.presence.liveSockets(call.roomId)).has(call.callerId)) return null;
    const starter = await this.calls.callerSocketOf(call.id, call.callerId);
    const device = await this.callerDevice(call.callerId, starter);
    if (!device) return null;
    return this.joinDevice(call.roomId, device);
  }

  private async callerDevice(
    callerId: string,
    starter: string | null,
  ): Promise<{ id: string; data: SocketData } | undefined> {
    const io = this.server.io;
    // A socket id is unique across instances: the starter connected here is found in memory,
    // without asking the other instances (a Redis round trip even when there are none).
    const here = starter ? io.sockets.get(starter) : undefined;
    if (here?.connected && here.data.user.id === callerId) return here;
    const device = starter
      ? (await io.in(starter).fetchSockets()).find((s) => s.data.user.id === callerId)
      : undefined;
    if (device) return device;
    const all = await io.in(USER_CHANNEL(callerId)).fetchSockets();
    return all.length === 1 ? all[0] : undefined;
  }

  // A participant who left a group call that goes on leaves its room as well.
  private async leaveCallRoom(roomId: string, userId: string): Promise<void> {
    const io = this.server.io;
    const socketId = (await this.presence.liveSockets(roomId)).get(userId)?.socketId;
    if (!socketId) return;
    const [device] = await io.in(socketId).fetchSockets();
    if (!device) return;
    const left = await this.presence.leave(device.data.user, roomId, socketId);
    io.in(socketId).socketsLeave(ROOM_CHANNEL(roomId));
    if (left) this.rooms.left(left.roomId, left.userId, left.otherSocketIds);
  }

  private async joinDevice(
    roomId: string,
    device: { id: string; data: SocketData },
  ): Promise<DeviceJoin | null> {
    const { user, instanceId } = device.data;
    const outcome = await this.presence.join(user, roomId, device.id, instanceId);
    if (outcome.kind !== 'joined') return null;
    return this.announceJoin(outcome, device.id, user.id);
  }

  private announceJoin(outcome: Joined, socketId: string, userId: string): DeviceJoin {
    return { socketId, self: outcome.self, answer: this.rooms.joined(outcome, socketId, userId) };
  }
}
