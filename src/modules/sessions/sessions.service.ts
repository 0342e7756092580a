import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { AuthUser } from '../../common/auth/auth-user';
import { Role } from '../../common/auth/role';
import { AppException } from '../../common/errors/app.exception';
import { decodeCursor, DEFAULT_PAGE_SIZE, encodeCursor } from '../../common/http/cursor';
import { AuditAction, AuditOutcome } from '../audit/audit-action';
import { AuditService } from '../audit/audit.service';
import { type RoomCloser, RoomsService } from '../rooms/rooms.service';
import { WebhooksService } from '../webhooks/webhooks.service';
import type { ListSessionsQuery, SessionListResponse, SessionResponse } from './dto/session.dto';
import { type SessionEndedEvent, SessionEvents } from './session-events';
import { type SessionEntity, SessionStatus } from './session.entity';
import { toSessionResponse } from './session.mapper';
import { SessionErrors } from './sessions.errors';
import { SessionsRepository } from './sessions.repository';

// Session history over REST. Members of a room (and admins) see its sessions; others get 404.
@Injectable()
export class SessionsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly rooms: RoomsService,
    private readonly sessions: SessionsRepository,
    private readonly audit: AuditService,
    private readonly events: SessionEvents,
    private readonly webhooks: WebhooksService,
  ) {}

  // Who is in the room's live session now (joined or within their reconnect grace), for the
  // chat's rule on waiting people (docs/chat.md).
  async liveUserIds(roomId: string, manager: EntityManager): Promise<Set<string>> {
    const session = await this.sessions.findActiveByRoom(roomId, manager);
    if (!session) return new Set();
    const live = await this.sessions.liveParticipants(session.id, manager);
    return new Set(live.map((p) => p.userId));
  }

  async list(actor: AuthUser, query: ListSessionsQuery): Promise<SessionListResponse> {
    if (query.roomId) await this.rooms.access(actor, query.roomId);
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const rows = await this.sessions.listPage({
      roomIds: actor.role === Role.Admin ? undefined : await this.rooms.roomIdsOf(actor.id),
      roomId: query.roomId,
      from: query.from,
      to: query.to,
      after: decodeCursor(query.cursor),
      limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    const participants = await this.sessions.participantsOf(page.map((s) => s.id));
    const last = page.at(-1);
    return {
      items: page.map((s) =>
        toSessionResponse(
          s,
          participants.filter((p) => p.sessionId === s.id),
        ),
      ),
      nextCursor:
        rows.length > limit && last ? encodeCursor({ at: last.startedAt, id: last.id }) : null,
    };
  }

  // Who is knocking at these rooms' waiting rooms now (the appointments' queue shows it).
  knockingIn(roomIds: string[]): Promise<{ roomId: string; userId: string }[]> {
    return this.sessions.knockingIn(roomIds);
  }

  async get(actor: AuthUser, id: string): Promise<SessionResponse> {
    const session = await this.sessions.findById(id);
    if (!session) throw SessionErrors.notFound();
    await this.visible(actor, session.roomId);
    return toSessionResponse(session, await this.sessions.participantsOf([id]));
  }

  // The end of the patient's last consultation in the room (their last stay; now when one is
  // going on), or null when they never took part in one: where the follow-up of a care
  // relationship is counted from.
  lastConsultationOf(
    roomId: string,
    patientId: string,
    manager: EntityManager,
  ): Promise<Date | null> {
    return this.sessions.lastStayEnd(roomId, patientId, manager);
  }

  // Closing a room ends its live session in the same transaction (SessionsRoomParticipant);
  // the joined clients are told after the commit.
  async endForClosedRoom(
    roomId: string,
    actor: RoomCloser,
    reason: string,
    m: EntityManager,
  ): Promise<(() => void) | undefined> {
    const session = await this.sessions.findActiveByRoom(roomId, m);
    if (!session) return undefined;
    const event = await this.endInTransaction(session, actor, reason, m);
    return () => this.events.ended.next(event);
  }

  // Retention (compliance module), inside the caller's transaction.
  anonymizeEndedBefore(
    cutoff: Date,
    at: Date,
    manager: EntityManager,
  ): Promise<{ sessions: number; participants: number }> {
    return this.sessions.anonymizeEndedBefore(cutoff, at, manager);
  }

  // The host (or an admin) ends a live session: every stay ends now and the joined clients
  // are told through SessionEvents.
  async end(actor: AuthUser, id: string): Promise<SessionResponse> {
    const event = await this.dataSource.transaction(async (m) => {
      const found = await this.sessions.findById(id, m);
      if (!found) throw SessionErrors.notFound();
      await this.visible(actor, found.roomId);
      await this.rooms.manageable(actor, found.roomId, m);
      await this.rooms.lockForPresence(found.roomId, m);
      const session = await this.sessions.findById(id, m);
      if (!session || session.status !== SessionStatus.Active)
        throw AppException.conflict('The session has already ended.');
      return this.endInTransaction(session, actor, 'ended-by-host', m);
    });
    this.events.ended.next(event);
    return this.get(actor, id);
  }

  private async endInTransaction(
    session: SessionEntity,
    actor: RoomCloser,
    reason: string,
    m: EntityManager,
  ): Promise<SessionEndedEvent> {
    const live = await this.sessions.liveParticipants(session.id, m);
    const now = new Date();
    await this.sessions.markLeft(
      live.map((p) => p.id),
      now,
      m,
    );
    await this.sessions.end(session, now, reason, m);
    await this.audit.record(
      {
        action: AuditAction.SessionEnd,
        outcome: AuditOutcome.Success,
        actor: { userId: actor.id, role: actor.role },
        resource: { type: 'room', id: session.roomId },
        details: { sessionId: session.id, reason },
      },
      m,
    );
    // Integrators see every stay end and the session end, as when the last one leaves.
    for (const p of live)
      await this.webhooks.publish(m, 'participant.left', {
        roomId: session.roomId,
        sessionId: session.id,
        userId: p.userId,
        reason,
        leftAt: now.toISOString(),
      });
    await this.webhooks.publish(m, 'session.ended', {
      sessionId: session.id,
      roomId: session.roomId,
      endedAt: now.toISOString(),
      reason,
    });
    return {
      roomId: session.roomId,
      sessionId: session.id,
      reason,
      userIds: live.map((p) => p.userId),
    };
  }

  private async visible(actor: AuthUser, roomId: string): Promise<void> {
    try {
      await this.rooms.access(actor, roomId);
    } catch (err) {
      // A session of a room the caller cannot see does not exist for them either.
      if (err instanceof AppException && err.status === 404) throw SessionErrors.notFound();
      throw err;
    }
  }
}
