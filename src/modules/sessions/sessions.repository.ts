import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Brackets, type EntityManager, IsNull, LessThanOrEqual, Repository } from 'typeorm';
import type { CursorPosition } from '../../common/http/cursor';
import {
  SessionEntity,
  SessionParticipantEntity,
  SessionStatus,
  WaitingEntryEntity,
} from './session.entity';
import { type Prepared, preparedQuery, preparedRows } from '../../infra/database/prepared';

// The statements of a room's presence changes (a call's joins on accept, its session ended
// with its room), in plain SQL and prepared once per connection (docs/performance.md,
// scenario 5). Rows come aliased to the entities' property names.
const SESSION_COLUMNS = `id, room_id AS "roomId", status, started_at AS "startedAt",
    ended_at AS "endedAt", end_reason AS "endReason", anonymized_at AS "anonymizedAt"`;

const STAY_COLUMNS = `id, session_id AS "sessionId", user_id AS "userId", joined_at AS "joinedAt",
    left_at AS "leftAt", socket_id AS "socketId", grace_until AS "graceUntil",
    instance_id AS "instanceId"`;

const ACTIVE_SESSION_OF_ROOM: Prepared = {
  name: 'hekim_session_active_of_room',
  text: `SELECT ${SESSION_COLUMNS} FROM room_sessions WHERE room_id = $1 AND status = $2 LIMIT 1`,
};

// A room's session opened with its first stay, in one statement.
const OPEN_SESSION_WITH_STAY: Prepared = {
  name: 'hekim_session_open_with_stay',
  text: `WITH s AS (
      INSERT INTO room_sessions (room_id, status, started_at) VALUES ($1, $2, $3)
      RETURNING ${SESSION_COLUMNS}
    ), p AS (
      INSERT INTO session_participants (session_id, user_id, socket_id, instance_id, joined_at,
                                        left_at)
      SELECT s.id, $4::uuid, $5::varchar, $6::varchar, $3::timestamptz, NULL FROM s
      RETURNING ${STAY_COLUMNS}
    )
    SELECT row_to_json(s) AS session, row_to_json(p) AS stay FROM s, p`,
};

const END_SESSION: Prepared = {
  name: 'hekim_session_end',
  text: `UPDATE room_sessions SET status = $2, ended_at = $3, end_reason = $4 WHERE id = $1`,
};

const LIVE_STAYS: Prepared = {
  name: 'hekim_session_live_stays',
  text: `SELECT ${STAY_COLUMNS} FROM session_participants
      WHERE session_id = $1 AND left_at IS NULL ORDER BY joined_at ASC`,
};

const ADD_STAY: Prepared = {
  name: 'hekim_session_add_stay',
  text: `INSERT INTO session_participants (session_id, user_id, socket_id, instance_id, joined_at,
                                           left_at)
      VALUES ($1, $2, $3, $4, $5, NULL)
      RETURNING ${STAY_COLUMNS}`,
};

const MARK_LEFT: Prepared = {
  name: 'hekim_session_mark_left',
  text: `UPDATE session_participants SET left_at = $2, socket_id = NULL, grace_until = NULL
      WHERE id = ANY($1::uuid[])`,
};

const KNOCKS_IN: Prepared = {
  name: 'hekim_session_knocks_in',
  text: `SELECT room_id AS "roomId", user_id AS "userId", socket_id AS "socketId",
           requested_at AS "requestedAt", instance_id AS "instanceId"
      FROM room_waiting WHERE room_id = $1 ORDER BY requested_at ASC`,
};

const DELETE_KNOCK: Prepared = {
  name: 'hekim_session_delete_knock',
  text: `DELETE FROM room_waiting WHERE room_id = $1 AND user_id = $2`,
};

// A socket and the instance that holds it.
export interface SocketRef {
  socketId: string;
  instanceId: string | null;
}

export interface SessionPageFilter {
  roomIds?: string[];
  roomId?: string;
  from?: Date;
  to?: Date;
  after?: CursorPosition;
  limit: number;
}

// The only code that touches room_sessions, session_participants and room_waiting.
@Injectable()
export class SessionsRepository {
  constructor(
    @InjectRepository(SessionEntity) private readonly sessions: Repository<SessionEntity>,
    @InjectRepository(SessionParticipantEntity)
    private readonly participants: Repository<SessionParticipantEntity>,
  ) {}

  findById(id: string, manager?: EntityManager): Promise<SessionEntity | null> {
    return (manager?.getRepository(SessionEntity) ?? this.sessions).findOne({ where: { id } });
  }

  async findActiveByRoom(roomId: string, manager: EntityManager): Promise<SessionEntity | null> {
    const [session] = await preparedRows<SessionEntity>(manager, ACTIVE_SESSION_OF_ROOM, [
      roomId,
      SessionStatus.Active,
    ]);
    return session ?? null;
  }

  // A room's session opened (active from `at`) with its first stay, in one statement.
  async openWithStay(
    roomId: string,
    userId: string,
    socket: SocketRef,
    at: Date,
    manager: EntityManager,
  ): Promise<{ session: SessionEntity; stay: SessionParticipantEntity }> {
    const [row] = await preparedRows<{ session: JsonRow; stay: JsonRow }>(
      manager,
      OPEN_SESSION_WITH_STAY,
      [roomId, SessionStatus.Active, at, userId, socket.socketId, socket.instanceId],
    );
    return {
      session: withDates(row.session, [
        'startedAt',
        'endedAt',
        'anonymizedAt',
      ]) as unknown as SessionEntity,
      stay: withDates(row.stay, [
        'joinedAt',
        'leftAt',
        'graceUntil',
      ]) as unknown as SessionParticipantEntity,
    };
  }

  async end(session: SessionEntity, at: Date, reason: string, m: EntityManager): Promise<void> {
    await preparedRows(m, END_SESSION, [session.id, SessionStatus.Ended, at, reason]);
  }

  // The joined sockets of the room's active session by user: the relay's check, on every
  // relayed message. One statement (one round trip, one snapshot) rather than a transaction.
  // Presence and membership together: a stay counts only while its user is still an active
  // member of the room.
  async liveSocketsOfRoom(roomId: string): Promise<({ userId: string } & SocketRef)[]> {
    return this.participants.query<({ userId: string } & SocketRef)[]>(
      `SELECT p.user_id AS "userId", p.socket_id AS "socketId", p.instance_id AS "instanceId"
         FROM session_participants p
         JOIN room_sessions s ON s.id = p.session_id
         JOIN room_members m ON m.room_id = s.room_id AND m.user_id = p.user_id
        WHERE s.room_id = $1 AND s.status = $2 AND p.left_at IS NULL AND p.socket_id IS NOT NULL
          AND m.status = 'active'`,
      [roomId, SessionStatus.Active],
    );
  }

  // When the user's last stay in the room ended (now, for a stay still going); null when they
  // never joined it. The care module's "last consultation".
  async lastStayEnd(roomId: string, userId: string, manager: EntityManager): Promise<Date | null> {
    const rows = await manager.query<{ last: Date | null }[]>(
      `SELECT max(coalesce(p.left_at, s.ended_at, now())) AS last
         FROM session_participants p
         JOIN room_sessions s ON s.id = p.session_id
        WHERE s.room_id = $1 AND p.user_id = $2`,
      [roomId, userId],
    );
    return rows[0]?.last ?? null;
  }

  liveParticipants(sessionId: string, manager: EntityManager): Promise<SessionParticipantEntity[]> {
    return preparedRows<SessionParticipantEntity>(manager, LIVE_STAYS, [sessionId]);
  }

  participantsOf(sessionIds: string[]): Promise<SessionParticipantEntity[]> {
    if (sessionIds.length === 0) return Promise.resolve([]);
    return this.participants
      .createQueryBuilder('p')
      .where('p.session_id IN (:...sessionIds)', { sessionIds })
      .orderBy('p.joined_at', 'ASC')
      .getMany();
  }

  async addParticipant(
    sessionId: string,
    userId: string,
    socket: SocketRef,
    at: Date,
    manager: EntityManager,
  ): Promise<SessionParticipantEntity> {
    const [stay] = await preparedRows<SessionParticipantEntity>(manager, ADD_STAY, [
      sessionId,
      userId,
      socket.socketId,
      socket.instanceId,
      at,
    ]);
    return stay;
  }

  async attachSocket(id: string, socket: SocketRef, manager: EntityManager): Promise<void> {
    await manager
      .getRepository(SessionParticipantEntity)
      .update(
        { id },
        { socketId: socket.socketId, instanceId: socket.instanceId, graceUntil: null },
      );
  }

  // Instances that hold joined or waiting sockets right now.
  async instancesHoldingSockets(): Promise<string[]> {
    const rows = await this.participants.query<{ instance_id: string }[]>(
      `SELECT instance_id FROM session_participants
        WHERE socket_id IS NOT NULL AND left_at IS NULL AND instance_id IS NOT NULL
       UNION SELECT instance_id FROM room_waiting WHERE instance_id IS NOT NULL`,
    );
    return rows.map((r) => r.instance_id);
  }

  // The sockets of a dead instance are gone: their stays enter the reconnect grace and their
  // knocks are withdrawn, as if each socket had disconnected.
  async releaseInstance(instanceId: string, until: Date, manager: EntityManager): Promise<void> {
    await manager
      .getRepository(SessionParticipantEntity)
      .createQueryBuilder()
      .update()
      .set({ socketId: null, graceUntil: until })
      .where('instance_id = :instanceId AND socket_id IS NOT NULL AND left_at IS NULL', {
        instanceId,
      })
      .execute();
    await manager.getRepository(WaitingEntryEntity).delete({ instanceId });
  }

  async markLeft(ids: string[], at: Date, manager: EntityManager): Promise<void> {
    if (ids.length === 0) return;
    await preparedRows(manager, MARK_LEFT, [ids, at]);
  }

  // The socket went away: its stays enter the reconnect grace. Returns the affected rows.
  async startGrace(
    socketId: string,
    until: Date,
    manager: EntityManager,
  ): Promise<SessionParticipantEntity[]> {
    const repo = manager.getRepository(SessionParticipantEntity);
    const rows = await repo.find({ where: { socketId, leftAt: IsNull() } });
    if (rows.length > 0)
      await repo
        .createQueryBuilder()
        .update()
        .set({ socketId: null, graceUntil: until })
        .whereInIds(rows.map((r) => r.id))
        .execute();
    return rows;
  }

  // Graces that ran out, locked so that of several instances sweeping at once only one
  // handles each row.
  lockExpiredGraces(
    now: Date,
    limit: number,
    manager: EntityManager,
  ): Promise<SessionParticipantEntity[]> {
    return manager
      .getRepository(SessionParticipantEntity)
      .createQueryBuilder('p')
      .setLock('pessimistic_write')
      .setOnLocked('skip_locked')
      .where('p.grace_until <= :now AND p.left_at IS NULL', { now })
      .orderBy('p.grace_until', 'ASC')
      .limit(limit)
      .getMany();
  }

  hasExpiredGraces(now: Date): Promise<boolean> {
    return this.participants.exists({
      where: { graceUntil: LessThanOrEqual(now), leftAt: IsNull() },
    });
  }

  // Retention: sessions that ended before `cutoff` lose their participant rows (who took part,
  // when, from which socket); the session row keeps its room and times, marked anonymized.
  // Locked in batches with SKIP LOCKED; returns what was destroyed.
  async anonymizeEndedBefore(
    cutoff: Date,
    at: Date,
    manager: EntityManager,
    batch = 500,
  ): Promise<{ sessions: number; participants: number }> {
    let sessions = 0;
    let participants = 0;
    for (;;) {
      const rows = await manager.query<{ id: string }[]>(
        `SELECT id FROM room_sessions
          WHERE status = 'ended' AND ended_at < $1 AND anonymized_at IS NULL
          ORDER BY ended_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
        [cutoff, batch],
      );
      if (rows.length === 0) return { sessions, participants };
      const ids = rows.map((r) => r.id);
      const deleted = await manager
        .getRepository(SessionParticipantEntity)
        .createQueryBuilder()
        .delete()
        .where('session_id IN (:...ids)', { ids })
        .execute();
      await manager
        .getRepository(SessionEntity)
        .createQueryBuilder()
        .update()
        .set({ anonymizedAt: at })
        .whereInIds(ids)
        .execute();
      sessions += ids.length;
      participants += deleted.affected ?? 0;
    }
  }

  countActive(): Promise<number> {
    return this.sessions.count({ where: { status: SessionStatus.Active } });
  }

  listPage(filter: SessionPageFilter): Promise<SessionEntity[]> {
    const qb = this.sessions.createQueryBuilder('s');
    if (filter.roomIds) {
      if (filter.roomIds.length === 0) return Promise.resolve([]);
      qb.andWhere('s.room_id IN (:...roomIds)', { roomIds: filter.roomIds });
    }
    if (filter.roomId) qb.andWhere('s.room_id = :roomId', { roomId: filter.roomId });
    if (filter.from) qb.andWhere('s.started_at >= :from', { from: filter.from });
    if (filter.to) qb.andWhere('s.started_at < :to', { to: filter.to });
    const after = filter.after;
    if (after)
      qb.andWhere(
        new Brackets((w) =>
          w
            .where('s.started_at < :at', { at: after.at })
            .orWhere('s.started_at = :at AND s.id < :id', { at: after.at, id: after.id }),
        ),
      );
    return qb
      .orderBy('s.started_at', 'DESC')
      .addOrderBy('s.id', 'DESC')
      .limit(filter.limit)
      .getMany();
  }

  // Waiting room

  async upsertWaiting(
    roomId: string,
    userId: string,
    socket: SocketRef,
    at: Date,
    manager: EntityManager,
  ): Promise<void> {
    await manager.getRepository(WaitingEntryEntity).upsert(
      {
        roomId,
        userId,
        socketId: socket.socketId,
        instanceId: socket.instanceId,
        requestedAt: at,
      },
      ['roomId', 'userId'],
    );
  }

  findWaiting(
    roomId: string,
    userId: string,
    m: EntityManager,
  ): Promise<WaitingEntryEntity | null> {
    return m.getRepository(WaitingEntryEntity).findOne({ where: { roomId, userId } });
  }

  waitingIn(roomId: string, manager: EntityManager): Promise<WaitingEntryEntity[]> {
    return preparedRows<WaitingEntryEntity>(manager, KNOCKS_IN, [roomId]);
  }

  // Returns whether there was a knock to withdraw.
  async deleteWaiting(roomId: string, userId: string, manager: EntityManager): Promise<boolean> {
    const result = await preparedQuery(manager, DELETE_KNOCK, [roomId, userId]);
    return (result.rowCount ?? 0) > 0;
  }

  // Every knock of a person, for their data export; all of them go on erasure.
  knocksOf(userId: string, manager: EntityManager): Promise<WaitingEntryEntity[]> {
    return manager
      .getRepository(WaitingEntryEntity)
      .find({ where: { userId }, order: { requestedAt: 'ASC' } });
  }

  async deleteKnocksOf(userId: string, manager: EntityManager): Promise<number> {
    const result = await manager.getRepository(WaitingEntryEntity).delete({ userId });
    return result.affected ?? 0;
  }

  // Rooms where the user has a live stay in the active session, or a knock.
  async roomsWithUser(userId: string): Promise<string[]> {
    const rows = await this.participants.query<{ room_id: string }[]>(
      `SELECT s.room_id FROM session_participants p
         JOIN room_sessions s ON s.id = p.session_id
        WHERE p.user_id = $1 AND p.left_at IS NULL AND s.status = 'active'
       UNION SELECT room_id FROM room_waiting WHERE user_id = $1`,
      [userId],
    );
    return rows.map((r) => r.room_id);
  }

  // Returns the knocks withdrawn.
  async deleteWaitingBySocket(
    socketId: string,
    manager: EntityManager,
  ): Promise<{ roomId: string; userId: string }[]> {
    const [rows] = await manager.query<[{ room_id: string; user_id: string }[], number]>(
      'DELETE FROM room_waiting WHERE socket_id = $1 RETURNING room_id, user_id',
      [socketId],
    );
    return rows.map((r) => ({ roomId: r.room_id, userId: r.user_id }));
  }

  // Who is knocking at these rooms now.
  async knockingIn(roomIds: string[]): Promise<{ roomId: string; userId: string }[]> {
    if (roomIds.length === 0) return [];
    const rows = await this.participants.query<{ room_id: string; user_id: string }[]>(
      'SELECT room_id, user_id FROM room_waiting WHERE room_id = ANY($1::uuid[])',
      [roomIds],
    );
    return rows.map((r) => ({ roomId: r.room_id, userId: r.user_id }));
  }
}

type JsonRow = Record<string, unknown>;

// A row read as JSON (row_to_json) has its timestamps as text: these become Dates again.
function withDates(row: JsonRow, keys: string[]): JsonRow {
  const out = { ...row };
  for (const k of keys) if (typeof out[k] === 'string') out[k] = new Date(out[k]);
  return out;
}
