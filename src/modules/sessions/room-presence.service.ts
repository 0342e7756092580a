import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { AuthUser } from '../../common/auth/auth-user';
import { AppException } from '../../common/errors/app.exception';
import { ErrorCode } from '../../common/errors/error-code';
import { AppConfig } from '../../config/app-config';
import { AuditAction, AuditOutcome } from '../audit/audit-action';
import { AuditService } from '../audit/audit.service';
import { MemberRole, MemberStatus, type RoomEntity, RoomStatus } from '../rooms/room.entity';
import { RoomErrors } from '../rooms/rooms.errors';
import { RoomsService } from '../rooms/rooms.service';
import { UsersRepository } from '../users/users.repository';
import type { SessionEntity, SessionParticipantEntity } from './session.entity';
import { SessionErrors } from './sessions.errors';
import { InstanceIdentity } from './instance-identity';
import { RoomJoinPolicy } from './ports/room-join.policy';
import { RoomSocketsCache, type RoomSockets } from './room-sockets.cache';
import { SessionEvents } from './session-events';
import { SessionsRepository, type SocketRef } from './sessions.repository';
import { WebhooksService } from '../webhooks/webhooks.service';

export interface ParticipantView {
  userId: string;
  displayName: string;
  role: MemberRole;
}

export interface Joined {
  kind: 'joined';
  roomId: string;
  sessionId: string;
  self: ParticipantView;
  // Everyone else in the room right now (not the joiner).
  participants: ParticipantView[];
  // Sockets of those participants, to tell them someone joined.
  otherSocketIds: string[];
  // The joiner is polite when others were there first (perfect negotiation).
  polite: boolean;
  // The user's previous device in this room, which must be told `room:replaced`.
  replacedSocketId: string | null;
  // The same socket joined again (e.g. a client that sends `room:join` after the server
  // already joined it on a call's accept): nothing changed, nobody is told.
  unchanged: boolean;
  sessionStarted: boolean;
  // Queued knocks the host should see again (only when the host joins).
  waiting: ParticipantView[];
}

export interface Waiting {
  kind: 'waiting';
  roomId: string;
  hostId: string;
  user: ParticipantView;
}

export interface Left {
  roomId: string;
  sessionId: string;
  userId: string;
  otherSocketIds: string[];
  sessionEnded: boolean;
}

// One audit record of a presence change (`record`): who did what in which room.
interface PresenceRecord {
  userId: string;
  role: string | null;
  action: AuditAction;
  roomId: string;
  sessionId?: string;
  // The user acted upon, when not the actor (an admission).
  subjectId?: string;
  details?: Record<string, unknown>;
}

export interface Admitted {
  joined: Joined;
  socketId: string;
}

// Who is in which room, right now. All of it lives in PostgreSQL (session_participants,
// room_waiting) so that every instance sees the same rooms, and the reconnect-grace deadline
// is a column any instance can expire. Each change is one transaction holding the room's row
// lock, with its audit record inside.
@Injectable()
export class RoomPresenceService implements OnModuleInit {
  constructor(
    private readonly dataSource: DataSource,
    private readonly config: AppConfig,
    private readonly rooms: RoomsService,
    private readonly sessions: SessionsRepository,
    private readonly users: UsersRepository,
    private readonly audit: AuditService,
    private readonly instance: InstanceIdentity,
    private readonly joinPolicy: RoomJoinPolicy,
    private readonly events: SessionEvents,
    private readonly roomSockets: RoomSocketsCache,
    private readonly webhooks: WebhooksService,
  ) {}

  // A member taken out of a room by its host or an admin leaves it at once, inside the
  // removal's transaction (which holds the room's lock): a live stay ends as a leave, a knock
  // goes, and after the commit their devices hear `room:removed` and the others that they
  // left. From then on nothing is relayed to or from them there (the relay checks membership
  // and presence).
  onModuleInit(): void {
    this.rooms.onMemberRemoved(async (roomId, userId, _actor, m) => {
      const reason = 'removed_from_room';
      await this.sessions.deleteWaiting(roomId, userId, m);
      const session = await this.sessions.findActiveByRoom(roomId, m);
      const live = session ? await this.sessions.liveParticipants(session.id, m) : [];
      const mine = live.find((p) => p.userId === userId);
      const left =
        session && mine ? await this.depart(mine, userId, null, session, live, reason, m) : null;
      return () => {
        this.roomSockets.invalidate(roomId);
        this.events.removed.next({ roomId, sessionId: left?.sessionId ?? null, userId, reason });
      };
    });
  }

  // `instanceId` is where the socket is connected, when another instance joins it (a call's
  // accept handled elsewhere): its stay must die with that instance, not this one.
  async join(
    actor: AuthUser,
    roomId: string,
    socketId: string,
    instanceId: string = this.instance.id,
  ): Promise<Joined | Waiting> {
    return this.changing(roomId, () =>
      this.auditConsentRefusal(actor, AuditAction.RoomJoin, roomId, actor.id, () =>
        this.joinOnce(actor, roomId, socketId, instanceId),
      ),
    );
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
      if (session && mine) return this.resume(actor, room, session, mine, live, here, m);

      // A waiting room holds everyone but the host until the host admits them; it never
      // lets anyone in on its own.
      if (room.waitingRoom && membership.role !== MemberRole.Host) {
        await this.sessions.upsertWaiting(roomId, actor.id, here, new Date(), m);
        await this.record(
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
            displayName: (await this.displayNames([actor.id], m)).get(actor.id) ?? '',
            role: membership.role,
          },
        };
      }
      return this.enter(actor.id, actor.role, room, session, live, here, m);
    });
  }

  async admit(host: AuthUser, roomId: string, userId: string): Promise<Admitted> {
    return this.changing(roomId, () =>
      this.auditConsentRefusal(host, AuditAction.RoomAdmit, roomId, userId, () =>
        this.admitOnce(host, roomId, userId),
      ),
    );
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
      await this.record(
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
      const joined = await this.enter(
        userId,
        member ?? MemberRole.Participant,
        room,
        session,
        live,
        { socketId: entry.socketId, instanceId: entry.instanceId },
        m,
        member,
      );
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
    return this.changing(roomId, () => this.leaveOnce(actor, roomId, socketId));
  }

  private leaveOnce(actor: AuthUser, roomId: string, socketId: string): Promise<Left | null> {
    return this.dataSource.transaction(async (m) => {
      await this.rooms.access(actor, roomId, m);
      await this.rooms.lockForPresence(roomId, m);
      await this.sessions.deleteWaiting(roomId, actor.id, m);
      const session = await this.sessions.findActiveByRoom(roomId, m);
      if (!session) return null;
      const live = await this.sessions.liveParticipants(session.id, m);
      const mine = live.find((p) => p.userId === actor.id && p.socketId === socketId);
      if (!mine) return null;
      return this.depart(mine, actor.id, actor.role, session, live, 'left', m);
    });
  }

  // Takes the user out of every room they are in or knocking at, server-side (e.g. their
  // `telemedicine` consent was withdrawn): their stays end as a leave with `reason`, their
  // knocks go, and the signaling gateway tells their devices `room:removed` and the others
  // `room:participant-left` (SessionEvents.removed). One transaction per room, under its lock.
  async removeUser(user: { id: string; role: string }, reason: string): Promise<number> {
    let removed = 0;
    for (const roomId of await this.sessions.roomsWithUser(user.id)) {
      const left = await this.changing(roomId, () =>
        this.dataSource.transaction(async (m) => {
          await this.rooms.lockForPresence(roomId, m);
          const knocked = await this.sessions.deleteWaiting(roomId, user.id, m);
          const session = await this.sessions.findActiveByRoom(roomId, m);
          const live = session ? await this.sessions.liveParticipants(session.id, m) : [];
          const mine = live.find((p) => p.userId === user.id);
          if (!session || !mine) return knocked ? { sessionId: null } : null;
          return this.depart(mine, user.id, user.role, session, live, reason, m);
        }),
      );
      if (!left) continue;
      removed++;
      this.events.removed.next({ roomId, sessionId: left.sessionId, userId: user.id, reason });
    }
    return removed;
  }

  // The socket dropped: its stays keep their place until the grace deadline; its knocks go.
  async disconnected(socketId: string): Promise<void> {
    const until = new Date(Date.now() + this.config.signaling.reconnectGraceSeconds * 1000);
    try {
      await this.dataSource.transaction(async (m) => {
        await this.sessions.startGrace(socketId, until, m);
        await this.sessions.deleteWaitingBySocket(socketId, m);
      });
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
      await this.dataSource.transaction(async (m) => {
        for (const socketId of socketIds) {
          await this.sessions.startGrace(socketId, until, m);
          await this.sessions.deleteWaitingBySocket(socketId, m);
        }
      });
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
          await this.depart(
            current,
            stay.userId,
            null,
            session,
            live,
            'reconnect-grace-expired',
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

  private async resume(
    actor: AuthUser,
    room: RoomEntity,
    session: SessionEntity,
    mine: SessionParticipantEntity,
    live: SessionParticipantEntity[],
    socket: SocketRef,
    m: EntityManager,
  ): Promise<Joined> {
    // The very socket that is already joined (e.g. joined by the server on a call's accept,
    // then sending `room:join` itself): nothing changes.
    const unchanged = mine.socketId === socket.socketId;
    const replaced =
      mine.socketId !== null && mine.socketId !== socket.socketId ? mine.socketId : null;
    if (!unchanged) await this.sessions.attachSocket(mine.id, socket, m);
    const view = await this.joinedView(
      { room, session, userId: actor.id, live, replacedSocketId: replaced, sessionStarted: false },
      m,
    );
    // The audit record last: the chain lock it takes is held until commit, so the shorter
    // the rest of the transaction after it, the more joins the cluster absorbs at once.
    await this.record(
      {
        userId: actor.id,
        role: actor.role,
        action: replaced ? AuditAction.RoomReplaced : AuditAction.RoomJoin,
        roomId: room.id,
        sessionId: session.id,
        details: { resumed: true },
      },
      m,
    );
    if (!unchanged) return view;
    // The same answer as its first join: polite when someone else was there first.
    const earlier = live.filter(
      (p) =>
        p.id !== mine.id &&
        (p.joinedAt < mine.joinedAt ||
          (p.joinedAt.getTime() === mine.joinedAt.getTime() && p.id < mine.id)),
    );
    return { ...view, polite: earlier.length > 0, unchanged: true };
  }

  private async enter(
    userId: string,
    actorRole: string | null,
    room: RoomEntity,
    existing: SessionEntity | null,
    live: SessionParticipantEntity[],
    socket: SocketRef,
    m: EntityManager,
    memberRole?: MemberRole | null,
  ): Promise<Joined> {
    if (live.length >= room.maxParticipants) throw RoomErrors.full();
    const now = new Date();
    let session = existing;
    if (!session) {
      session = await this.sessions.open(room.id, now, m);
      await this.record(
        {
          userId,
          role: actorRole,
          action: AuditAction.SessionStart,
          roomId: room.id,
          sessionId: session.id,
        },
        m,
      );
      await this.webhooks.publish(m, 'session.started', {
        sessionId: session.id,
        roomId: room.id,
        startedAt: now.toISOString(),
      });
    }
    await this.sessions.addParticipant(session.id, userId, socket, now, m);
    await this.sessions.deleteWaiting(room.id, userId, m);
    const view = await this.joinedView(
      {
        room,
        session,
        userId,
        live,
        replacedSocketId: null,
        sessionStarted: !existing,
        role: memberRole,
      },
      m,
    );
    await this.record(
      {
        userId,
        role: actorRole,
        action: AuditAction.RoomJoin,
        roomId: room.id,
        sessionId: session.id,
      },
      m,
    );
    return view;
  }

  private async depart(
    stay: SessionParticipantEntity,
    userId: string,
    actorRole: string | null,
    session: SessionEntity,
    live: SessionParticipantEntity[],
    reason: string,
    m: EntityManager,
  ): Promise<Left> {
    const now = new Date();
    await this.sessions.markLeft([stay.id], now, m);
    await this.record(
      {
        userId,
        role: actorRole,
        action: AuditAction.RoomLeave,
        roomId: session.roomId,
        sessionId: session.id,
        details: { reason },
      },
      m,
    );
    await this.webhooks.publish(m, 'participant.left', {
      roomId: session.roomId,
      sessionId: session.id,
      userId,
      reason,
      leftAt: now.toISOString(),
    });
    const others = live.filter((p) => p.id !== stay.id);
    const sessionEnded = others.length === 0;
    if (sessionEnded) {
      await this.sessions.end(session, now, 'empty', m);
      await this.record(
        {
          userId,
          role: actorRole,
          action: AuditAction.SessionEnd,
          roomId: session.roomId,
          sessionId: session.id,
          details: { reason: 'empty' },
        },
        m,
      );
      await this.webhooks.publish(m, 'session.ended', {
        sessionId: session.id,
        roomId: session.roomId,
        endedAt: now.toISOString(),
        reason: 'empty',
      });
    }
    return {
      roomId: session.roomId,
      sessionId: session.id,
      userId,
      otherSocketIds: others.flatMap((p) => (p.socketId ? [p.socketId] : [])),
      sessionEnded,
    };
  }

  // The answer of a join: everyone else in the room, and the queued knocks for a host. Member
  // roles and display names are read once for the whole room, through the transaction's own
  // connection (a second pool connection taken while the transaction holds one, and the
  // audit chain lock, deadlocks the pool under load).
  private async joinedView(
    v: {
      room: RoomEntity;
      session: SessionEntity;
      userId: string;
      live: SessionParticipantEntity[];
      replacedSocketId: string | null;
      sessionStarted: boolean;
      // The joiner's member role when the caller already read it (an admission).
      role?: MemberRole | null;
    },
    m: EntityManager,
  ): Promise<Joined> {
    const { room, userId } = v;
    const roles = await this.rooms.memberRoles(room.id, m);
    const roleOf = (id: string): MemberRole => roles.get(id) ?? MemberRole.Participant;
    const role = v.role ?? roleOf(userId);
    const others = v.live.filter((p) => p.userId !== userId);
    const knocks = role === MemberRole.Host ? await this.sessions.waitingIn(room.id, m) : [];
    const names = await this.displayNames(
      [userId, ...others.map((p) => p.userId), ...knocks.map((w) => w.userId)],
      m,
    );
    const view = (id: string, r: MemberRole): ParticipantView => ({
      userId: id,
      displayName: names.get(id) ?? '',
      role: r,
    });
    return {
      kind: 'joined',
      roomId: room.id,
      sessionId: v.session.id,
      self: view(userId, role),
      participants: others.map((p) => view(p.userId, roleOf(p.userId))),
      otherSocketIds: others.flatMap((p) => (p.socketId ? [p.socketId] : [])),
      polite: others.length > 0,
      replacedSocketId: v.replacedSocketId,
      unchanged: false,
      sessionStarted: v.sessionStarted,
      waiting: knocks.map((w) => view(w.userId, MemberRole.Participant)),
    };
  }

  private async displayNames(userIds: string[], m: EntityManager): Promise<Map<string, string>> {
    const users = await this.users.findByIds([...new Set(userIds)], m);
    return new Map(users.map((u) => [u.id, u.displayName]));
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

  // A join or admission the consent gate refused is recorded (`denied`) after its transaction
  // rolled back: evidence that a patient without consent was kept out.
  private async auditConsentRefusal<T>(
    actor: AuthUser,
    action: AuditAction,
    roomId: string,
    subjectId: string,
    work: () => Promise<T>,
  ): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (err instanceof AppException && err.code === ErrorCode.ConsentRequired)
        await this.audit.record({
          action,
          outcome: AuditOutcome.Denied,
          actor: { userId: actor.id, role: actor.role },
          resource: { type: 'room', id: roomId },
          subjectId,
          details: { reason: 'consent_required' },
        });
      throw err;
    }
  }

  private async record(
    { userId, role, action, roomId, sessionId, subjectId, details }: PresenceRecord,
    m: EntityManager,
  ): Promise<void> {
    await this.audit.record(
      {
        action,
        outcome: AuditOutcome.Success,
        actor: { userId, role },
        resource: { type: 'room', id: roomId },
        subjectId,
        details: { ...(sessionId ? { sessionId } : {}), ...details },
      },
      m,
    );
  }
}
