import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Brackets, type EntityManager, In, Repository } from 'typeorm';
import type { CursorPosition } from '../../common/http/cursor';
import type { CallSnapshot, CallStatus, CallType } from './call-state-machine';
import { behindLock } from '../../infra/database/behind-lock';
import { type Prepared, preparedRows } from '../../infra/database/prepared';
import { CallEntity, CallParticipantEntity } from './call.entity';

// The statements of a call's every change (initiate, accept, end), in plain SQL and prepared
// once per connection (docs/performance.md, scenario 5): TypeORM's query building and entity
// hydration were a third of the server's JavaScript time per call. Rows come aliased to the
// entities' property names.
const CALL_BY_ID: Prepared = {
  name: 'hekim_call_by_id',
  text: `SELECT id, type, status, caller_id AS "callerId", room_id AS "roomId",
           is_group AS "isGroup", ring_deadline AS "ringDeadline", started_at AS "startedAt",
           ended_at AS "endedAt", end_reason AS "endReason", quality,
           caller_socket_id AS "callerSocketId", created_at AS "createdAt",
           updated_at AS "updatedAt"
      FROM calls WHERE id = $1`,
};

const PARTICIPANTS_OF: Prepared = {
  name: 'hekim_call_participants_of',
  text: `SELECT call_id AS "callId", user_id AS "userId", state, joined_at AS "joinedAt",
           left_at AS "leftAt", created_at AS "createdAt"
      FROM call_participants WHERE call_id = $1 ORDER BY created_at ASC`,
};

// The call and its participants in one statement; every participant row has the call's
// created_at (both are the transaction's now()).
const INSERT_CALL: Prepared = {
  name: 'hekim_call_insert',
  text: `WITH c AS (
      INSERT INTO calls (type, status, caller_id, room_id, is_group, ring_deadline,
                         started_at, ended_at, end_reason, quality, caller_socket_id)
      VALUES ($1, $2, $3, $4, $5, $6, NULL, NULL, NULL, NULL, $7)
      RETURNING id, created_at, updated_at
    ), p AS (
      INSERT INTO call_participants (call_id, user_id, state, joined_at, left_at)
      SELECT c.id, u.user_id, u.state, u.joined_at, u.left_at
        FROM c, unnest($8::uuid[], $9::text[], $10::timestamptz[], $11::timestamptz[])
                AS u(user_id, state, joined_at, left_at)
      RETURNING created_at
    )
    SELECT c.id, c.created_at AS "createdAt", c.updated_at AS "updatedAt",
           (SELECT count(*)::int FROM p) AS participants
      FROM c`,
};

// The call's row and its changed participants' in one statement (a data-modifying WITH runs
// whether or not the outer statement reads it).
const APPLY_SNAPSHOT: Prepared = {
  name: 'hekim_call_apply_snapshot',
  text: `WITH p AS (
      UPDATE call_participants cp
         SET state = u.state, joined_at = u.joined_at, left_at = u.left_at
        FROM unnest($7::uuid[], $8::text[], $9::timestamptz[], $10::timestamptz[])
                AS u(user_id, state, joined_at, left_at)
       WHERE cp.call_id = $1 AND cp.user_id = u.user_id
      RETURNING 1
    )
    UPDATE calls
       SET status = $2, started_at = $3, ended_at = $4, end_reason = $5, ring_deadline = $6,
           updated_at = CURRENT_TIMESTAMP
     WHERE id = $1`,
};

export interface CallPageFilter {
  userId: string;
  status?: CallStatus;
  type?: CallType;
  from?: Date;
  to?: Date;
  after?: CursorPosition;
  limit: number;
}

export interface NewCallRow {
  type: CallType;
  callerId: string;
  snapshot: CallSnapshot;
  ringDeadline: Date;
  callerSocketId: string | null;
}

// The only code that touches the calls and call_participants tables. A call's own room is
// the rooms module's (RoomsService.openCallRoom).
@Injectable()
export class CallsRepository {
  constructor(@InjectRepository(CallEntity) private readonly calls: Repository<CallEntity>) {}

  async insert(row: NewCallRow, roomId: string, manager: EntityManager): Promise<CallEntity> {
    const parts = row.snapshot.participants;
    const [inserted] = await preparedRows<{ id: string; createdAt: Date; updatedAt: Date }>(
      manager,
      INSERT_CALL,
      [
        row.type,
        row.snapshot.status,
        row.callerId,
        roomId,
        row.snapshot.group,
        row.ringDeadline,
        row.callerSocketId,
        parts.map((p) => p.userId),
        parts.map((p) => p.state),
        parts.map((p) => p.joinedAt),
        parts.map((p) => p.leftAt),
      ],
    );
    const call: CallEntity = {
      id: inserted.id,
      type: row.type,
      status: row.snapshot.status,
      callerId: row.callerId,
      roomId,
      isGroup: row.snapshot.group,
      ringDeadline: row.ringDeadline,
      startedAt: null,
      endedAt: null,
      endReason: null,
      quality: null,
      callerSocketId: row.callerSocketId,
      createdAt: inserted.createdAt,
      updatedAt: inserted.updatedAt,
    };
    call.participants = parts.map((p) => ({
      callId: call.id,
      ...p,
      createdAt: inserted.createdAt,
    }));
    return call;
  }

  // Loads a call with its participants under the call row's lock: every change to one call is
  // serialised, so concurrent accepts, cancels and timeouts have exactly one winner. The lock
  // and the reads behind it go out together (behindLock): one round trip, and the reads still
  // see the call as the lock's previous holder committed it.
  async lockById(id: string, manager: EntityManager): Promise<CallEntity | null> {
    const { locked, result } = await behindLock(
      manager,
      { text: `SELECT 1 FROM calls WHERE id = $1 FOR UPDATE`, values: [id] },
      () =>
        Promise.all([
          preparedRows<CallEntity>(manager, CALL_BY_ID, [id]),
          preparedRows<CallParticipantEntity>(manager, PARTICIPANTS_OF, [id]),
        ]),
    );
    const [[call], participants] = result;
    if (locked === 0 || !call) return null;
    call.participants = participants;
    return call;
  }

  // The same by the call's room: the call's id comes with the lock's answer, so its
  // participants are read in a second round trip.
  async lockByRoomId(roomId: string, manager: EntityManager): Promise<CallEntity | null> {
    const { locked, result: call } = await behindLock(
      manager,
      { text: `SELECT 1 FROM calls WHERE room_id = $1 FOR UPDATE`, values: [roomId] },
      () => manager.getRepository(CallEntity).findOne({ where: { roomId } }),
    );
    if (locked === 0 || !call) return null;
    call.participants = await this.participantsOf(call.id, manager);
    return call;
  }

  // Calls whose ring deadline passed, locked; SKIP LOCKED lets every instance sweep at once
  // without two handling the same call.
  async lockRingExpired(now: Date, limit: number, manager: EntityManager): Promise<CallEntity[]> {
    const calls = await manager
      .getRepository(CallEntity)
      .createQueryBuilder('c')
      .setLock('pessimistic_write')
      .setOnLocked('skip_locked')
      .where('c.ring_deadline <= :now', { now })
      .orderBy('c.ring_deadline', 'ASC')
      .limit(limit)
      .getMany();
    for (const call of calls) call.participants = await this.participantsOf(call.id, manager);
    return calls;
  }

  // The ringing or active calls the user is still in (ringing or joined), with participants.
  async openCallsOf(userId: string): Promise<CallEntity[]> {
    const calls = await this.calls
      .createQueryBuilder('c')
      .innerJoin(
        CallParticipantEntity,
        'me',
        `me.call_id = c.id AND me.user_id = :userId AND me.state IN ('ringing', 'joined')`,
        { userId },
      )
      .where(`c.status IN ('ringing', 'active')`)
      .orderBy('c.created_at', 'ASC')
      .getMany();
    for (const call of calls) call.participants = await this.participantsOf(call.id);
    return calls;
  }

  async findForUser(id: string, userId: string): Promise<CallEntity | null> {
    const call = await this.calls
      .createQueryBuilder('c')
      .innerJoin(CallParticipantEntity, 'me', 'me.call_id = c.id AND me.user_id = :userId', {
        userId,
      })
      .where('c.id = :id', { id })
      .getOne();
    if (!call) return null;
    call.participants = await this.participantsOf(call.id);
    return call;
  }

  // Who started the call and from which socket, for one of its participants (null for anyone
  // else): one statement, no lock (neither changes after the call is made).
  async starterFor(
    id: string,
    userId: string,
  ): Promise<{ callerId: string; callerSocketId: string | null } | null> {
    const rows = await this.calls.query<{ callerId: string; callerSocketId: string | null }[]>(
      `SELECT c.caller_id AS "callerId", c.caller_socket_id AS "callerSocketId"
         FROM calls c JOIN call_participants p ON p.call_id = c.id AND p.user_id = $2
        WHERE c.id = $1`,
      [id, userId],
    );
    return rows[0] ?? null;
  }

  // Persists the state machine's result onto the locked row and its participants.
  async applySnapshot(
    call: CallEntity,
    next: CallSnapshot,
    ringDeadline: Date | null,
    manager: EntityManager,
  ): Promise<CallEntity> {
    call.status = next.status;
    call.startedAt = next.startedAt;
    call.endedAt = next.endedAt;
    call.endReason = next.endReason;
    call.ringDeadline = ringDeadline;
    // The call's row and each changed participant's, in one statement.
    const changed = next.participants.filter((p) => {
      const before = call.participants?.find((x) => x.userId === p.userId);
      const same =
        before &&
        before.state === p.state &&
        before.joinedAt?.getTime() === p.joinedAt?.getTime() &&
        before.leftAt?.getTime() === p.leftAt?.getTime();
      if (before && !same) Object.assign(before, p);
      return !same;
    });
    await preparedRows(manager, APPLY_SNAPSHOT, [
      call.id,
      call.status,
      call.startedAt,
      call.endedAt,
      call.endReason,
      ringDeadline,
      changed.map((p) => p.userId),
      changed.map((p) => p.state),
      changed.map((p) => p.joinedAt),
      changed.map((p) => p.leftAt),
    ]);
    return call;
  }

  async saveQuality(call: CallEntity, manager: EntityManager): Promise<void> {
    await manager.getRepository(CallEntity).update({ id: call.id }, { quality: call.quality });
  }

  // Retention: one batch of calls over (any terminal status) since before `cutoff`, locked with
  // SKIP LOCKED and destroyed with their participants. Returns what went and the calls' own
  // rooms, which the caller has the rooms module destroy.
  async destroyBatchEndedBefore(
    cutoff: Date,
    batch: number,
    manager: EntityManager,
  ): Promise<{ calls: number; participants: number; roomIds: string[] }> {
    const rows = await manager.query<{ id: string; room_id: string }[]>(
      `SELECT id, room_id FROM calls
        WHERE status IN ('ended', 'rejected', 'missed', 'cancelled')
          AND COALESCE(ended_at, updated_at) < $1
        ORDER BY COALESCE(ended_at, updated_at) LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [cutoff, batch],
    );
    if (rows.length === 0) return { calls: 0, participants: 0, roomIds: [] };
    const ids = rows.map((r) => r.id);
    const parts = await manager
      .getRepository(CallParticipantEntity)
      .createQueryBuilder()
      .delete()
      .where('call_id IN (:...ids)', { ids })
      .execute();
    await manager.getRepository(CallEntity).delete({ id: In(ids) });
    return {
      calls: ids.length,
      participants: parts.affected ?? 0,
      roomIds: rows.map((r) => r.room_id),
    };
  }

  countActive(): Promise<number> {
    return this.calls.count({ where: { status: 'active' } });
  }

  // The user's calls (as caller or callee), newest first, keyset-paginated.
  async listPage(filter: CallPageFilter): Promise<CallEntity[]> {
    const qb = this.calls
      .createQueryBuilder('c')
      .innerJoin(CallParticipantEntity, 'me', 'me.call_id = c.id AND me.user_id = :userId', {
        userId: filter.userId,
      });
    if (filter.status) qb.andWhere('c.status = :status', { status: filter.status });
    if (filter.type) qb.andWhere('c.type = :type', { type: filter.type });
    if (filter.from) qb.andWhere('c.created_at >= :from', { from: filter.from });
    if (filter.to) qb.andWhere('c.created_at < :to', { to: filter.to });
    const after = filter.after;
    if (after)
      qb.andWhere(
        new Brackets((w) => {
          w.where('c.created_at < :at', { at: after.at }).orWhere(
            'c.created_at = :at AND c.id < :id',
            { at: after.at, id: after.id },
          );
        }),
      );
    const calls = await qb
      .orderBy('c.created_at', 'DESC')
      .addOrderBy('c.id', 'DESC')
      .limit(filter.limit)
      .getMany();
    if (calls.length === 0) return calls;
    const parts = await this.calls.manager
      .getRepository(CallParticipantEntity)
      .find({ where: { callId: In(calls.map((c) => c.id)) }, order: { createdAt: 'ASC' } });
    for (const call of calls) call.participants = parts.filter((p) => p.callId === call.id);
    return calls;
  }

  private participantsOf(
    callId: string,
    manager?: EntityManager,
  ): Promise<CallParticipantEntity[]> {
    return (manager ?? this.calls.manager)
      .getRepository(CallParticipantEntity)
      .find({ where: { callId }, order: { createdAt: 'ASC' } });
  }
}
