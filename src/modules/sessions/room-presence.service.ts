import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { AuthUser } from '../../common/auth/auth-user';
import { AppException } from '../../common/errors/app.exception';
import { ErrorCode } from '../../common/errors/error-code';
import { AppConfig } from '../../config/app-config';
import { KeyValueStore } from '../../infra/redis/key-value.store';
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

export interface Admitted {
  joined: Joined;
  socketId: string;
}

// Who is in which room, right now. All of it lives in PostgreSQL (session_participants,
// room_waiting) so that every instance sees the same rooms, and the reconnect-grace deadline
// is a column any instance can expire. Each change is one transaction holding the room's row
// lock, with its audit record inside.
@Injectable()
export class RoomPresenceService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly config: AppConfig,
    private readonly rooms: RoomsService,
    private readonly sessions: SessionsRepository,
    private readonly users: UsersRepository,
    private readonly audit: AuditService,
    private readonly instance: InstanceIdentity,
    private readonly store: KeyValueStore,
    private readonly joinPolicy: RoomJoinPolicy,
    private readonly events: SessionEvents,
    private readonly roomSockets: RoomSocketsCache,
    private readonly webhooks: WebhooksService,
  ) {}

  // A member taken out of a room by its host or an admin leaves it at once, inside the
  // removal's transaction (which holds the room's lock): a live stay ends as a leave, a knock
  // goes, and after the commit their devices hear `room:removed` and the others that they
  // left. From then on nothing is relayed to or from them there (the relay checks membership
  // and presence). Called by SessionsRoomParticipant.
  async removedFromRoom(roomId: string, userId: string, m: EntityManager): Promise<() => void> {
    const reason = 'removed_from_room';
    await this.sessions.deleteWaiting(roomId, userId, m);
    const session = await this.sessions.findActiveByRoom(roomId, m);
    const live = session ? await this.sessions.liveParticipants(session.id, m) : [];
    const mine = live.find((p) => p.userId === userId);
    const left =
      session && mine ? await this.depart(mine, userId, null, session, live, reason, m) : null;
    return () => {
      this.roomSockets.invalidate(roomId);
      this.events.removed.next({
        roomId,
        sessionId: left?.sessionId ?? null,
        userId,
        reason,
        otherSocketIds: left?.otherSocketIds ?? [],
      });
    };
  }

  // Each instance proves it is alive; a lapsed heartbeat means its sockets are gone.
  static readonly HEARTBEAT_TTL_SECONDS = 15;

  async heartbeat(): Promise<void> {
    await this.store.set(
      `signaling:instance:${this.instance.id}`,
      '1',
      RoomPresenceService.HEARTBEAT_TTL_SECONDS,
    );
  }

  // Whether another instance's heartbeat is current (its sockets are alive).
  async instanceAlive(instanceId: string): Promise<boolean> {
    return (await this.store.get(`signaling:instance:${instanceId}`)) !== null;
  }

  // How long another instance's heartbeat must stay missing, as seen from here, before its
  // sockets are declared gone. Longer than two heartbeat periods: when Redis comes back empty
  // after an outage every key is lost at once, and each live instance needs one period to
  // write its own again. Releasing a live instance would cut every one of its clients from
  // relay and, after the grace, from their sessions.
  static readonly MISSING_CONFIRM_MS = 12_000;
  private readonly missingSince = new Map<string, number>();

  // Stays and knocks held by an instance that died without shutting down enter the reconnect
  // grace, exactly as if their sockets had disconnected. Returns the instances released.
  async releaseDeadInstances(now: number = Date.now()): Promise<string[]> {
    const released: string[] = [];
    const holding = await this.sessions.instancesHoldingSockets();
    for (const id of this.missingSince.keys())
      if (!holding.includes(id)) this.missingSince.delete(id);
    for (const id of holding) {
      if (id === this.instance.id) continue;
      if (await this.instanceAlive(id)) {
        this.missingSince.delete(id);
        continue;
      }
      const since = this.missingSince.get(id) ?? now;
      this.missingSince.set(id, since);
      if (now - since < RoomPresenceService.MISSING_CONFIRM_MS) continue;
      const until = new Date(Date.now() + this.config.signaling.reconnectGraceSeconds * 1000);
      await this.dataSource
        .transaction((m) => this.sessions.releaseInstance(id, until, m))
        .finally(() => this.roomSockets.invalidate('*'));
      this.missingSince.delete(id);
      released.push(id);
    }
    return released;
  }

  // This instance's id: a socket records where it is connected (see join).
  get instanceId(): string {
    return this.instance.id;
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
        await this.record(actor.id, actor.role, AuditAction.RoomWait, room.id, null, m);
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
          user: await this.view(actor.id, membership.role, m),
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
      await this.record(host.id, host.role, AuditAction.RoomAdmit, room.id, null, m, userId);
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
          if (!session || !mine)
            return knocked ? { roomId, sessionId: null, otherSocketIds: [] } : null;
          return this.depart(mine, user.id, user.role, session, live, reason, m);
        }),
      );
      if (!left) continue;
      removed++;
      this.events.removed.next({
        roomId,
        sessionId: left.sessionId,
        userId: user.id,
        reason,
        otherSocketIds: left.otherSocketIds,
      });
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
    const role = (await this.rooms.memberRole(room.id, actor.id, m)) ?? MemberRole.Participant;
    const view = await this.joinedView(room, session, actor.id, role, live, replaced, false, m);
    // The audit record last: the chain lock it takes is held until commit, so the shorter
    // the rest of the transaction after it, the more joins the cluster absorbs at once.
    await this.record(
      actor.id,
      actor.role,
      replaced ? AuditAction.RoomReplaced : AuditAction.RoomJoin,
      room.id,
      session.id,
      m,
      undefined,
      { resumed: true },
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
      await this.record(userId, actorRole, AuditAction.SessionStart, room.id, session.id, m);
      await this.webhooks.publish(m, 'session.started', {
        sessionId: session.id,
        roomId: room.id,
        startedAt: now.toISOString(),
      });
    }
    await this.sessions.addParticipant(session.id, userId, socket, now, m);
    await this.sessions.deleteWaiting(room.id, userId, m);
    const role =
      memberRole ?? (await this.rooms.memberRole(room.id, userId, m)) ?? MemberRole.Participant;
    const view = await this.joinedView(room, session, userId, role, live, null, !existing, m);
    await this.record(userId, actorRole, AuditAction.RoomJoin, room.id, session.id, m);
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
      userId,
      actorRole,
      AuditAction.RoomLeave,
      session.roomId,
      session.id,
      m,
      undefined,
      { reason },
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
        userId,
        actorRole,
        AuditAction.SessionEnd,
        session.roomId,
        session.id,
        m,
        undefined,
        { reason: 'empty' },
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

  private async joinedView(
    room: RoomEntity,
    session: SessionEntity,
    userId: string,
    role: MemberRole,
    live: SessionParticipantEntity[],
    replacedSocketId: string | null,
    sessionStarted: boolean,
    m: EntityManager,
  ): Promise<Joined> {
    const others = live.filter((p) => p.userId !== userId);
    const participants: ParticipantView[] = [];
    for (const p of others)
      participants.push(
        await this.view(
          p.userId,
          (await this.rooms.memberRole(room.id, p.userId, m)) ?? MemberRole.Participant,
          m,
        ),
      );
    const waiting: ParticipantView[] = [];
    if (role === MemberRole.Host)
      for (const w of await this.sessions.waitingIn(room.id, m))
        waiting.push(await this.view(w.userId, MemberRole.Participant, m));
    return {
      kind: 'joined',
      roomId: room.id,
      sessionId: session.id,
      self: await this.view(userId, role, m),
      participants,
      otherSocketIds: others.flatMap((p) => (p.socketId ? [p.socketId] : [])),
      polite: others.length > 0,
      replacedSocketId,
      unchanged: false,
      sessionStarted,
      waiting,
    };
  }

  // Reads through the transaction's own connection: a second pool connection taken while the
  // transaction holds one (and the audit chain lock) deadlocks the pool under load.
  private async view(userId: string, role: MemberRole, m: EntityManager): Promise<ParticipantView> {
    const user = await this.users.findById(userId, m);
    return { userId, displayName: user?.displayName ?? '', role };
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
    userId: string,
    role: string | null,
    action: AuditAction,
    roomId: string,
    sessionId: string | null,
    m: EntityManager,
    subjectId?: string,
    details?: Record<string, unknown>,
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
