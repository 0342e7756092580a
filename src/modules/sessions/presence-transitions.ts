import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { AuthUser } from '../../common/auth/auth-user';
import { AppException } from '../../common/errors/app.exception';
import { ErrorCode } from '../../common/errors/error-code';
import { AuditAction, AuditOutcome } from '../audit/audit-action';
import { AuditService } from '../audit/audit.service';
import { MemberRole, type RoomEntity } from '../rooms/room.entity';
import { RoomErrors } from '../rooms/rooms.errors';
import { RoomsService } from '../rooms/rooms.service';
import { UsersService } from '../users/users.service';
import { WebhooksService } from '../webhooks/webhooks.service';
import type { SessionEntity, SessionParticipantEntity, WaitingEntryEntity } from './session.entity';
import { SessionsRepository, type SocketRef } from './sessions.repository';

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

export interface Left {
  roomId: string;
  sessionId: string;
  userId: string;
  otherSocketIds: string[];
  sessionEnded: boolean;
}

// What the joins of one transaction already read (a call's accept joins two devices under one
// lock): the room's member roles, display names and knocks (which only change under the
// room's lock, or go), so each join's answer needs no query of its own and a join without a
// knock deletes none, and the room's session and live stays as they are after each join.
export interface JoinContext {
  roles: Map<string, MemberRole>;
  names: Map<string, string>;
  knocks: WaitingEntryEntity[];
  session: SessionEntity | null;
  live: SessionParticipantEntity[];
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

// The steps a presence change takes inside its transaction, under the room's lock, for
// RoomPresenceService: entering (opening the session with the first), resuming a stay,
// departing (ending the session with the last), the answer of a join, and the audit record
// of each. Nothing here opens a transaction or publishes an event.
@Injectable()
export class PresenceTransitions {
  constructor(
    private readonly rooms: RoomsService,
    private readonly sessions: SessionsRepository,
    private readonly users: UsersService,
    private readonly audit: AuditService,
    private readonly webhooks: WebhooksService,
  ) {}

  async resume(
    actor: AuthUser,
    room: RoomEntity,
    session: SessionEntity,
    mine: SessionParticipantEntity,
    live: SessionParticipantEntity[],
    socket: SocketRef,
    m: EntityManager,
    context?: JoinContext,
  ): Promise<Joined> {
    // The very socket that is already joined (e.g. joined by the server on a call's accept,
    // then sending `room:join` itself): nothing changes.
    const unchanged = mine.socketId === socket.socketId;
    const replaced =
      mine.socketId !== null && mine.socketId !== socket.socketId ? mine.socketId : null;
    if (!unchanged) await this.sessions.attachSocket(mine.id, socket, m);
    const view = await this.joinedView(
      {
        room,
        session,
        userId: actor.id,
        live,
        replacedSocketId: replaced,
        sessionStarted: false,
        context,
      },
      m,
    );
    if (context && !unchanged) {
      mine.socketId = socket.socketId;
      mine.instanceId = socket.instanceId;
    }
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

  // A user enters the room on `socket` (opening its session when they are the first).
  async enter(
    {
      userId,
      actorRole,
      room,
      session: existing,
      live,
      socket,
      memberRole,
    }: {
      userId: string;
      actorRole: string | null;
      room: RoomEntity;
      session: SessionEntity | null;
      live: SessionParticipantEntity[];
      socket: SocketRef;
      // The user's member role when the caller already read it (an admission).
      memberRole?: MemberRole | null;
    },
    m: EntityManager,
    // Kept current for the next join of the same transaction (JoinContext).
    context?: JoinContext,
  ): Promise<Joined> {
    if (live.length >= room.maxParticipants) throw RoomErrors.full();
    const now = new Date();
    let session = existing;
    let stay: SessionParticipantEntity | undefined;
    if (!session) {
      // The session and its first stay in one statement.
      ({ session, stay } = await this.sessions.openWithStay(room.id, userId, socket, now, m));
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
    stay ??= await this.sessions.addParticipant(session.id, userId, socket, now, m);
    if (!context || context.knocks.some((k) => k.userId === userId)) {
      await this.sessions.deleteWaiting(room.id, userId, m);
      if (context) context.knocks = context.knocks.filter((k) => k.userId !== userId);
    }
    const view = await this.joinedView(
      {
        room,
        session,
        userId,
        live,
        replacedSocketId: null,
        sessionStarted: !existing,
        role: memberRole,
        context,
      },
      m,
    );
    if (context) {
      context.session = session;
      context.live = [...live, stay];
    }
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

  // A stay ends (ending the session when it was the last); `actorRole` is null when the
  // server ended it.
  async depart(
    {
      stay,
      userId,
      actorRole,
      session,
      live,
      reason,
    }: {
      stay: SessionParticipantEntity;
      userId: string;
      actorRole: string | null;
      session: SessionEntity;
      live: SessionParticipantEntity[];
      reason: string;
    },
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
  async joinedView(
    v: {
      room: RoomEntity;
      session: SessionEntity;
      userId: string;
      live: SessionParticipantEntity[];
      replacedSocketId: string | null;
      sessionStarted: boolean;
      // The joiner's member role when the caller already read it (an admission).
      role?: MemberRole | null;
      context?: JoinContext;
    },
    m: EntityManager,
  ): Promise<Joined> {
    const { room, userId } = v;
    const roles = v.context?.roles ?? (await this.rooms.memberRoles(room.id, m));
    const roleOf = (id: string): MemberRole => roles.get(id) ?? MemberRole.Participant;
    const role = v.role ?? roleOf(userId);
    const others = v.live.filter((p) => p.userId !== userId);
    const knocks =
      role !== MemberRole.Host
        ? []
        : (v.context?.knocks ?? (await this.sessions.waitingIn(room.id, m)));
    const wanted = [userId, ...others.map((p) => p.userId), ...knocks.map((w) => w.userId)];
    const known = v.context?.names;
    const names =
      known && wanted.every((id) => known.has(id)) ? known : await this.displayNames(wanted, m);
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
      waiting: knocks.map((w) => view(w.userId, roleOf(w.userId))),
    };
  }

  async displayNames(userIds: string[], m: EntityManager): Promise<Map<string, string>> {
    return this.users.displayNames([...new Set(userIds)], m);
  }

  // A join or admission the consent gate refused is recorded (`denied`) after its transaction
  // rolled back: evidence that a patient without consent was kept out.
  async auditConsentRefusal<T>(
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

  async record(
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
