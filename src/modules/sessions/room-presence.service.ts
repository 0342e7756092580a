import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { AuthUser } from '../../common/auth/auth-user';
import { PortImplementations } from '../../common/ports/port-implementations';
import { AppConfig } from '../../config/app-config';
import { AppException } from '../../common/errors/app.exception';
import { ErrorCode } from '../../common/errors/error-code';
import { AuditAction, AuditOutcome } from '../audit/audit-action';
import { AuditService } from '../audit/audit.service';
import { MemberRole, MemberStatus, RoomStatus } from '../rooms/room.entity';
import { RoomErrors } from '../rooms/rooms.errors';
import { RoomsService } from '../rooms/rooms.service';
import { UsersService } from '../users/users.service';
import { SessionErrors } from './sessions.errors';
import { InstanceIdentity } from './instance-identity';
import { AdmissionParticipant } from './ports/admission.participant';
import { RoomJoinPolicy } from './ports/room-join.policy';
import { RoomSocketsCache, type RoomSockets } from './room-sockets.cache';
import {
  type JoinContext,
  type Joined,
  type Left,
  type ParticipantView,
  PresenceTransitions,
} from './presence-transitions';
import { SessionEvents } from './session-events';
import { SessionsRepository, type SocketRef } from './sessions.repository';
import { WebhooksService } from '../webhooks/webhooks.service';

export type { Joined, Left, ParticipantView, SocketRef };

export interface Waiting {
  kind: 'waiting';
  roomId: string;
  hostId: string;
  user: ParticipantView;
}

// A device the server joins to a call's room on the call's accept (joinForCall).
export interface CallJoiner {
  actor: AuthUser;
  socket: SocketRef;
  // The caller's device is joined only if the caller is not in the room yet (on another
  // device, or joined while it rang); the accepting device takes the user's place in the room.
  unlessPresent: boolean;
  // The accept's own consent check (CallAcceptPolicy, the same ConsentGate as RoomJoinPolicy)
  // already ran for this user in this transaction.
  consentChecked: boolean;
}

export interface CallJoins {
  // Each joiner's join, in the joiners' order; null when that device was not joined.
  joined: (Joined | null)[];
  // To run after the commit.
  after: () => void;
}

export interface Admitted {
  joined: Joined;
  socketId: string;
}

// Who is in which room, right now. All of it lives in PostgreSQL (session_participants,
// room_waiting) so that every instance sees the same rooms, and the reconnect-grace deadline
// is a column any instance can expire (ReconnectGraceSweeper). Each change is one transaction
// holding the room's row lock, with its audit record inside (the steps: PresenceTransitions).
// Which instances are alive is InstanceLiveness's business, not this one's.
@Injectable()
export class RoomPresenceService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly config: AppConfig,
    private readonly rooms: RoomsService,
    private readonly sessions: SessionsRepository,
    private readonly users: UsersService,
    private readonly instance: InstanceIdentity,
    private readonly joinPolicy: RoomJoinPolicy,
    private readonly events: SessionEvents,
    private readonly roomSockets: RoomSocketsCache,
    private readonly webhooks: WebhooksService,
    private readonly steps: PresenceTransitions,
    private readonly implementations: PortImplementations,
    private readonly audit: AuditService,
  ) {}

  private admissionParticipants: AdmissionParticipant[] | undefined;

  // A member taken out of a room by its host or an admin leaves it at once, inside the
  // removal's transaction (which holds the room's lock): a live stay ends as a leave, a knock
  // goes, and after the commit their devices hear `room:removed` and the others that they
  // left. From then on nothing is relayed to or from them there (the relay checks membership
  // and presence). Called by SessionsRoomParticipant.
  async removedFromRoom(roomId: string, userId: string, m: EntityManager): Promise<() => void> {
    const reason = 'removed_from_room';
    const knocked = await this.sessions.deleteWaiting(roomId, userId, m);
    if (knocked) await this.knockEnded(roomId, userId, reason, m);
    const session = await this.sessions.findActiveByRoom(roomId, m);
    const live = session ? await this.sessions.liveParticipants(session.id, m) : [];
    const mine = live.find((p) => p.userId === userId);
    const left =
      session && mine
        ? await this.steps.depart({ stay: mine, userId, actorRole: null, session, live, reason }, m)
        : null;
    return () => {
      this.roomSockets.invalidate(roomId);
      this.events.removed.next({ roomId, sessionId: left?.sessionId ?? null, userId, reason });
      if (knocked) this.events.waiting.next({ roomId, userId, change: 'left' });
    };
  }

  // `instanceId` is where the socket is connected, when another instance joins it (a call's
  // accept handled elsewhere): its stay must die with that instance, not this one.
  async join(
    actor: AuthUser,
    roomId: string,
    socketId: string,
    instanceId: string = this.instance.id,
  ): Promise<Joined | Waiting> {
    const outcome = await this.changing(roomId, () =>
      this.steps.auditConsentRefusal(actor, AuditAction.RoomJoin, roomId, actor.id, () =>
        this.joinOnce(actor, roomId, socketId, instanceId),
      ),
    );
    if (outcome.kind === 'waiting')
      this.events.waiting.next({ roomId, userId: actor.id, change: 'knocked' });
    return outcome;
  }

  // The devices a call's accept puts in the call's room (docs/calls.md, "What the server does
  // on accept"), inside the accept's own transaction: the room's lock is taken once for all of
  // them, its members, names, session and stays are read once, and each device then joins
  // exactly as `join` would join it (the same rows, audit records and answer), in order. A
  // device that may not join (no longer an active member, room closed or full, consent
  // refused: recorded `denied` as a refused join is) is skipped, so the accept stands and that
  // device can still send `room:join` itself.
  async joinForCall(roomId: string, joiners: CallJoiner[], m: EntityManager): Promise<CallJoins> {
    const joined: (Joined | null)[] = joiners.map(() => null);
    const after = (): void => this.roomSockets.invalidate(roomId);
    // Two round trips: the room's lock with its members, session and knocks read behind it,
    // then the members' names and the session's stays (each needs an answer of the first).
    const {
      room,
      result: [members, session, knocks],
    } = await this.rooms.lockForPresenceWith(roomId, m, () =>
      Promise.all([
        this.rooms.memberships(roomId, m),
        this.sessions.findActiveByRoom(roomId, m),
        this.sessions.waitingIn(roomId, m),
      ]),
    );
    if (room.status === RoomStatus.Closed) return { joined, after };
    const [names, live] = await Promise.all([
      this.steps.displayNames([...members.keys()], m),
      session ? this.sessions.liveParticipants(session.id, m) : Promise.resolve([]),
    ]);
    const context: JoinContext = {
      roles: new Map([...members].map(([id, v]) => [id, v.role])),
      names,
      knocks,
      session,
      live,
    };
    for (const [i, { actor, socket, unlessPresent, consentChecked }] of joiners.entries()) {
      const member = members.get(actor.id);
      if (member?.status !== MemberStatus.Active) continue;
      // A waiting room would hold this device: it is left to knock itself.
      if (room.waitingRoom && member.role !== MemberRole.Host) continue;
      const mine = context.live.find((p) => p.userId === actor.id);
      if (mine && unlessPresent) continue;
      if (!mine && context.live.length >= room.maxParticipants) continue;
      if (!consentChecked && !(await this.mayJoin(actor, roomId, m))) continue;
      joined[i] =
        context.session && mine
          ? await this.steps.resume(
              actor,
              room,
              context.session,
              mine,
              context.live,
              socket,
              m,
              context,
            )
          : await this.steps.enter(
              {
                userId: actor.id,
                actorRole: actor.role,
                room,
                session: context.session,
                live: context.live,
                socket,
                memberRole: member.role,
              },
              m,
              context,
            );
    }
    return { joined, after };
  }

  // The join policy's answer inside a transaction that goes on: a consent refusal is recorded
  // (`denied`, as for a refused `room:join`) and answered false.
  private async mayJoin(actor: AuthUser, roomId: string, m: EntityManager): Promise<boolean> {
    try {
      await this.joinPolicy.assertMayJoin(actor, roomId, m);
      return true;
    } catch (err) {
      if (!(err instanceof AppException) || err.code !== ErrorCode.ConsentRequired) throw err;
      await this.audit.record(
        {
          action: AuditAction.RoomJoin,
          outcome: AuditOutcome.Denied,
          actor: { userId: actor.id, role: actor.role },
          resource: { type: 'room', id: roomId },
          subjectId: actor.id,
          details: { reason: 'consent_required' },
        },
        m,
      );
      return false;
    }
  }

  private async joinOnce(
    actor: AuthUser,
    roomId: string,
    socketId: string,
    instanceId: string,
  ): Promise<Joined | Waiting> {
    return this.dataSource.transaction(async (m) => {
      const { membership } = await this.rooms.access(actor, roomId, m, { invited: true });
      // An invitation is the clinician's act; only the patient's acceptance lets them in.
      if (membership?.status === MemberStatus.Invited) throw RoomErrors.invitationPending();
      if (!membership) throw SessionErrors.notAMember();
      await this.joinPolicy.assertMayJoin(actor, roomId, m);
      const room = await this.rooms.lockForPresence(roomId, m);
      if (room.status === RoomStatus.Closed) throw RoomErrors.closed();
      const session = await this.sessions.findActiveByRoom(roomId, m);
      const live = session ? await this.sessions.liveParticipants(session.id, m) : [];
      const mine = live.find((p) => p.userId === actor.id);
      const here: SocketRef = { socketId, instanceId };
      if (session && mine) return this.steps.resume(actor, room, session, mine, live, here, m);

      // A waiting room holds everyone but the host until the host admits them; it never
      // lets anyone in on its own.
      if (room.waitingRoom && membership.role !== MemberRole.Host) {
        await this.sessions.upsertWaiting(roomId, actor.id, here, new Date(), m);
        await this.steps.record(
          { userId: actor.id, role: actor.role, action: AuditAction.RoomWait, roomId: room.id },
          m,
        );
        await this.webhooks.publish(m, 'participant.waiting', {
          roomId,
          sessionId: session?.id ?? null,
          userId: actor.id,
          waitingAt: new Date().toISOString(),
        });
        return {
          kind: 'waiting',
          roomId,
          hostId: room.hostId,
          user: {
            userId: actor.id,
            displayName: (await this.steps.displayNames([actor.id], m)).get(actor.id) ?? '',
            role: membership.role,
          },
        };
      }
      return this.steps.enter(
        { userId: actor.id, actorRole: actor.role, room, session, live, socket: here },
        m,
      );
    });
  }

  async admit(host: AuthUser, roomId: string, userId: string): Promise<Admitted> {
    const admitted = await this.changing(roomId, () =>
      this.steps.auditConsentRefusal(host, AuditAction.RoomAdmit, roomId, userId, () =>
        this.admitOnce(host, roomId, userId),
      ),
    );
    this.events.waiting.next({
      roomId,
      userId,
      change: 'admitted',
      by: { id: host.id, role: host.role },
    });
    return admitted;
  }

  private admitOnce(host: AuthUser, roomId: string, userId: string): Promise<Admitted> {
    return this.dataSource.transaction(async (m) => {
      await this.rooms.manageable(host, roomId, m);
      const room = await this.rooms.lockForPresence(roomId, m);
      if (room.status === RoomStatus.Closed) throw RoomErrors.closed();
      const entry = await this.sessions.findWaiting(roomId, userId, m);
      if (!entry) throw SessionErrors.notWaiting();
      // The knocker's consent may have changed since the knock: checked again on admission.
      const knocker = await this.users.findById(userId, m);
      if (!knocker) throw SessionErrors.notWaiting();
      await this.joinPolicy.assertMayJoin(knocker, roomId, m);
      await this.sessions.deleteWaiting(roomId, userId, m);
      await this.steps.record(
        {
          userId: host.id,
          role: host.role,
          action: AuditAction.RoomAdmit,
          roomId: room.id,
          subjectId: userId,
        },
        m,
      );
      const session = await this.sessions.findActiveByRoom(roomId, m);
      const live = session ? await this.sessions.liveParticipants(session.id, m) : [];
      const member = await this.rooms.memberRole(roomId, userId, m);
      const joined = await this.steps.enter(
        {
          userId,
          actorRole: member ?? MemberRole.Participant,
          room,
          session,
          live,
          socket: { socketId: entry.socketId, instanceId: entry.instanceId },
          memberRole: member,
        },
        m,
      );
      this.admissionParticipants ??= this.implementations.of(AdmissionParticipant);
      for (const participant of this.admissionParticipants)
        await participant.admitted({ roomId, userId, host }, m);
      await this.webhooks.publish(m, 'participant.admitted', {
        roomId,
        sessionId: joined.sessionId,
        userId,
        admittedBy: host.id,
        admittedAt: new Date().toISOString(),
      });
      return { joined, socketId: entry.socketId };
    });
  }

  async leave(actor: AuthUser, roomId: string, socketId: string): Promise<Left | null> {
    const knock = { ended: false };
    const left = await this.changing(roomId, () => this.leaveOnce(actor, roomId, socketId, knock));
    if (knock.ended) this.events.waiting.next({ roomId, userId: actor.id, change: 'left' });
    return left;
  }

  private leaveOnce(
    actor: AuthUser,
    roomId: string,
    socketId: string,
    knock: { ended: boolean },
  ): Promise<Left | null> {
    return this.dataSource.transaction(async (m) => {
      await this.rooms.access(actor, roomId, m);
      await this.rooms.lockForPresence(roomId, m);
      knock.ended = await this.sessions.deleteWaiting(roomId, actor.id, m);
      if (knock.ended) await this.knockEnded(roomId, actor.id, 'left', m);
      const session = await this.sessions.findActiveByRoom(roomId, m);
      if (!session) return null;
      const live = await this.sessions.liveParticipants(session.id, m);
      const mine = live.find((p) => p.userId === actor.id && p.socketId === socketId);
      if (!mine) return null;
      return this.steps.depart(
        { stay: mine, userId: actor.id, actorRole: actor.role, session, live, reason: 'left' },
        m,
      );
    });
  }

  // Takes the user out of every room they are in or knocking at, server-side (e.g. their
  // `telemedicine` consent was withdrawn): their stays end as a leave with `reason`, their
  // knocks go, and the signaling edge tells their devices `room:removed` and the others
  // `room:participant-left` (SessionEvents.removed). One transaction per room, under its lock.
  async removeUser(user: { id: string; role: string }, reason: string): Promise<number> {
    let removed = 0;
    for (const roomId of await this.sessions.roomsWithUser(user.id)) {
      const left = await this.changing(roomId, () =>
        this.dataSource.transaction(async (m) => {
          await this.rooms.lockForPresence(roomId, m);
          const knocked = await this.sessions.deleteWaiting(roomId, user.id, m);
          if (knocked) await this.knockEnded(roomId, user.id, reason, m);
          const session = await this.sessions.findActiveByRoom(roomId, m);
          const live = session ? await this.sessions.liveParticipants(session.id, m) : [];
          const mine = live.find((p) => p.userId === user.id);
          if (!session || !mine) return knocked ? { sessionId: null } : null;
          return this.steps.depart(
            { stay: mine, userId: user.id, actorRole: user.role, session, live, reason },
            m,
          );
        }),
      );
      if (!left) continue;
      removed++;
      this.events.removed.next({ roomId, sessionId: left.sessionId, userId: user.id, reason });
      this.events.waiting.next({ roomId, userId: user.id, change: 'left' });
    }
    return removed;
  }

  // The socket dropped: its stays keep their place until the grace deadline; its knocks go.
  async disconnected(socketId: string): Promise<void> {
    const until = new Date(Date.now() + this.config.signaling.reconnectGraceSeconds * 1000);
    try {
      const knocks = await this.dataSource.transaction(async (m) => {
        await this.sessions.startGrace(socketId, until, m);
        return this.withdrawKnocks(socketId, m);
      });
      this.knocksWithdrawn(knocks);
    } finally {
      this.roomSockets.invalidateSocket(socketId);
    }
  }

  // Many sockets at once (an instance shutting down): one transaction instead of one each, so
  // the drain is quick and its clients can reconnect elsewhere sooner.
  async disconnectedAll(socketIds: readonly string[]): Promise<void> {
    if (socketIds.length === 0) return;
    const until = new Date(Date.now() + this.config.signaling.reconnectGraceSeconds * 1000);
    try {
      const knocks = await this.dataSource.transaction(async (m) => {
        const withdrawn: { roomId: string; userId: string }[] = [];
        for (const socketId of socketIds) {
          await this.sessions.startGrace(socketId, until, m);
          withdrawn.push(...(await this.withdrawKnocks(socketId, m)));
        }
        return withdrawn;
      });
      this.knocksWithdrawn(knocks);
    } finally {
      for (const socketId of socketIds) this.roomSockets.invalidateSocket(socketId);
    }
  }

  // Ends the stays whose grace ran out. Any instance may run this; row locks with SKIP LOCKED
  // hand each expired stay to exactly one of them.
  async expireGraces(now: Date = new Date()): Promise<Left[]> {
    if (!(await this.sessions.hasExpiredGraces(now))) return [];
    const expired = await this.dataSource.transaction(async (m) => {
      const expired = await this.sessions.lockExpiredGraces(now, 50, m);
      const out: Left[] = [];
      for (const stay of expired) {
        const session = await this.sessions.findById(stay.sessionId, m);
        if (!session) continue;
        await this.rooms.lockForPresence(session.roomId, m);
        const live = await this.sessions.liveParticipants(session.id, m);
        const current = live.find((p) => p.id === stay.id);
        if (!current) continue;
        out.push(
          await this.steps.depart(
            {
              stay: current,
              userId: stay.userId,
              actorRole: null,
              session,
              live,
              reason: 'reconnect-grace-expired',
            },
            m,
          ),
        );
      }
      return out;
    });
    for (const left of expired) this.roomSockets.invalidate(left.roomId);
    return expired;
  }

  // Who is in the room now, when this instance holds a current view of it
  // (RoomSocketsCache), without waiting; undefined otherwise.
  liveSocketsNow(roomId: string): RoomSockets | undefined {
    return this.roomSockets.peek(roomId);
  }

  // Who is in the room now: the relay's check. Returns the live stays with a joined socket,
  // from this instance's view of the room when it has a current one (RoomSocketsCache).
  liveSockets(roomId: string): Promise<RoomSockets> {
    return this.roomSockets.get(roomId, async () => {
      const live = await this.sessions.liveSocketsOfRoom(roomId);
      return new Map(
        live.map((p) => [p.userId, { socketId: p.socketId, instanceId: p.instanceId }]),
      );
    });
  }

  // A dropped socket's knocks go (a reconnecting device knocks again; an appointment's place in
  // its clinician's queue does not depend on the knock, docs/appointments.md).
  private async withdrawKnocks(
    socketId: string,
    m: EntityManager,
  ): Promise<{ roomId: string; userId: string }[]> {
    const knocks = await this.sessions.deleteWaitingBySocket(socketId, m);
    for (const k of knocks) await this.knockEnded(k.roomId, k.userId, 'disconnected', m);
    return knocks;
  }

  private knocksWithdrawn(knocks: { roomId: string; userId: string }[]): void {
    for (const k of knocks)
      this.events.waiting.next({ roomId: k.roomId, userId: k.userId, change: 'left' });
  }

  // A knock that ended without admission: integrators hear `participant.left` without a session.
  private async knockEnded(
    roomId: string,
    userId: string,
    reason: string,
    m: EntityManager,
  ): Promise<void> {
    await this.webhooks.publish(m, 'participant.left', {
      roomId,
      sessionId: null,
      userId,
      reason,
      leftAt: new Date().toISOString(),
    });
  }

  // A change to the room's presence made here drops this instance's view of the room as soon
  // as its transaction is over, without waiting for the database's change notification
  // (which every instance, this one included, also gets).
  private async changing<T>(roomId: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } finally {
      this.roomSockets.invalidate(roomId);
    }
  }
}
