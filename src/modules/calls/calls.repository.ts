import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Brackets, type EntityManager, In, Repository } from 'typeorm';
import type { CursorPosition } from '../../common/http/cursor';
import type { CallSnapshot, CallStatus, CallType } from './call-state-machine';
import { behindLock } from '../../infra/database/behind-lock';
import { CallEntity, CallParticipantEntity } from './call.entity';

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
    const calls = manager.getRepository(CallEntity);
    const call = await calls.save(
      calls.create({
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
      }),
    );
    // Inserted, not saved: save would first look each new row up by its key (a round trip).
    const parts = manager.getRepository(CallParticipantEntity);
    const participants = row.snapshot.participants.map((p) =>
      parts.create({ callId: call.id, ...p }),
    );
    await parts.insert(participants);
    call.participants = participants;
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
          manager.getRepository(CallEntity).findOne({ where: { id } }),
          this.participantsOf(id, manager),
        ]),
    );
    const [call, participants] = result;
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
    // The call's row and each changed participant's, sent together (independent rows: one
    // round trip on the pipelined connection, behindLock's note).
    const parts = manager.getRepository(CallParticipantEntity);
    const writes: Promise<unknown>[] = [
      manager.getRepository(CallEntity).update(
        { id: call.id },
        {
          status: call.status,
          startedAt: call.startedAt,
          endedAt: call.endedAt,
          endReason: call.endReason,
          ringDeadline,
        },
      ),
    ];
    for (const p of next.participants) {
      const before = call.participants?.find((x) => x.userId === p.userId);
      if (
        before &&
        before.state === p.state &&
        before.joinedAt?.getTime() === p.joinedAt?.getTime() &&
        before.leftAt?.getTime() === p.leftAt?.getTime()
      )
        continue;
      writes.push(
        parts.update(
          { callId: call.id, userId: p.userId },
          { state: p.state, joinedAt: p.joinedAt, leftAt: p.leftAt },
        ),
      );
      if (before) Object.assign(before, p);
    }
    await Promise.all(writes);
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
