import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Brackets, type EntityManager, In, Repository } from 'typeorm';
import type { CursorPosition } from '../../common/http/cursor';
import {
  MemberRole,
  MemberStatus,
  RoomEntity,
  RoomMemberEntity,
  RoomStatus,
  RoomType,
} from './room.entity';
import { behindLock } from '../../infra/database/behind-lock';
import { type Prepared, preparedRows } from '../../infra/database/prepared';

// The statements of a call's room (opened with the call, joined on accept, closed on end), in
// plain SQL and prepared once per connection (docs/performance.md, scenario 5). Rows come
// aliased to the entities' property names.
const ROOM_COLUMNS = `id, name, type, host_id AS "hostId", status, waiting_room AS "waitingRoom",
    max_participants AS "maxParticipants", scheduled_for AS "scheduledFor",
    closed_at AS "closedAt", created_at AS "createdAt", updated_at AS "updatedAt"`;

const ROOM_BY_ID: Prepared = {
  name: 'hekim_room_by_id',
  text: `SELECT ${ROOM_COLUMNS} FROM rooms WHERE id = $1`,
};

const LOCK_ROOM: Prepared = {
  name: 'hekim_room_lock',
  text: `SELECT ${ROOM_COLUMNS} FROM rooms WHERE id = $1 FOR UPDATE`,
};

const MEMBERS_OF: Prepared = {
  name: 'hekim_room_members_of',
  text: `SELECT room_id AS "roomId", user_id AS "userId", role, status, created_at AS "createdAt"
      FROM room_members WHERE room_id = $1 ORDER BY created_at ASC`,
};

// A room and its members in one statement: the host (active), then the others.
const INSERT_WITH_MEMBERS: Prepared = {
  name: 'hekim_room_insert_with_members',
  text: `WITH r AS (
      INSERT INTO rooms (name, type, host_id, status, waiting_room, max_participants,
                         scheduled_for)
      VALUES ($1, $2, $3, $4, $5, $6, $7)
      RETURNING ${ROOM_COLUMNS}
    ), m AS (
      INSERT INTO room_members (room_id, user_id, role, status)
      SELECT r.id, u.user_id, u.role, u.status
        FROM r, unnest($8::uuid[], $9::text[], $10::text[]) AS u(user_id, role, status)
    )
    SELECT * FROM r`,
};

const MARK_CLOSED: Prepared = {
  name: 'hekim_room_mark_closed',
  text: `UPDATE rooms SET status = $2, closed_at = $3, updated_at = CURRENT_TIMESTAMP
      WHERE id = $1`,
};

// The only code that touches the rooms and room_members tables.
@Injectable()
export class RoomsRepository {
  constructor(
    @InjectRepository(RoomEntity) private readonly rooms: Repository<RoomEntity>,
    @InjectRepository(RoomMemberEntity) private readonly members: Repository<RoomMemberEntity>,
  ) {}

  private roomRepo(manager?: EntityManager): Repository<RoomEntity> {
    return manager ? manager.getRepository(RoomEntity) : this.rooms;
  }

  private memberRepo(manager?: EntityManager): Repository<RoomMemberEntity> {
    return manager ? manager.getRepository(RoomMemberEntity) : this.members;
  }

  async insertWithMembers(
    room: Pick<
      RoomEntity,
      'name' | 'type' | 'hostId' | 'waitingRoom' | 'maxParticipants' | 'scheduledFor'
    >,
    participants: { userId: string; status: MemberStatus }[],
    manager: EntityManager,
  ): Promise<RoomEntity> {
    const members = [
      { userId: room.hostId, role: MemberRole.Host, status: MemberStatus.Active },
      ...participants
        .filter((p) => p.userId !== room.hostId)
        .map((p) => ({ userId: p.userId, role: MemberRole.Participant, status: p.status })),
    ];
    const [saved] = await preparedRows<RoomEntity>(manager, INSERT_WITH_MEMBERS, [
      room.name,
      room.type,
      room.hostId,
      RoomStatus.Open,
      room.waitingRoom,
      room.maxParticipants,
      room.scheduledFor,
      members.map((m) => m.userId),
      members.map((m) => m.role),
      members.map((m) => m.status),
    ]);
    return saved;
  }

  // Only rooms of type `call`: a consultation room is never destroyed this way.
  async deleteCallRooms(ids: string[], manager: EntityManager): Promise<number> {
    if (ids.length === 0) return 0;
    const result = await this.roomRepo(manager).delete({ id: In(ids), type: RoomType.Call });
    return result.affected ?? 0;
  }

  findById(id: string, manager?: EntityManager): Promise<RoomEntity | null> {
    return this.roomRepo(manager).findOne({ where: { id } });
  }

  // Locks the room row for the rest of the transaction: joins and admissions to one room are
  // serialised, so capacity checks cannot be raced past.
  async lockById(id: string, manager: EntityManager): Promise<RoomEntity | null> {
    const [room] = await preparedRows<RoomEntity>(manager, LOCK_ROOM, [id]);
    return room ?? null;
  }

  // lockById with reads behind the lock in the same round trip (behindLock): the room as the
  // lock's previous holder committed it, and what `reads` resolves with (read after the lock
  // is granted too). Null when there is no such room.
  async lockByIdWith<T>(
    id: string,
    manager: EntityManager,
    reads: () => Promise<T>,
  ): Promise<{ room: RoomEntity | null; result: T }> {
    const { locked, result } = await behindLock(
      manager,
      { text: `SELECT 1 FROM rooms WHERE id = $1 FOR UPDATE`, values: [id] },
      () => Promise.all([preparedRows<RoomEntity>(manager, ROOM_BY_ID, [id]), reads()]),
    );
    const [[room], read] = result;
    return { room: locked === 0 ? null : (room ?? null), result: read };
  }

  membersOf(roomId: string, manager?: EntityManager): Promise<RoomMemberEntity[]> {
    return this.memberRepo(manager).find({ where: { roomId }, order: { createdAt: 'ASC' } });
  }

  // membersOf inside a transaction, by its prepared statement (a call's joins).
  membersIn(roomId: string, manager: EntityManager): Promise<RoomMemberEntity[]> {
    return preparedRows<RoomMemberEntity>(manager, MEMBERS_OF, [roomId]);
  }

  findMember(
    roomId: string,
    userId: string,
    manager?: EntityManager,
  ): Promise<RoomMemberEntity | null> {
    return this.memberRepo(manager).findOne({ where: { roomId, userId } });
  }

  async addMember(
    roomId: string,
    userId: string,
    role: MemberRole,
    status: MemberStatus,
    manager: EntityManager,
  ): Promise<void> {
    await this.memberRepo(manager)
      .createQueryBuilder()
      .insert()
      .values({ roomId, userId, role, status })
      .orIgnore()
      .execute();
  }

  async setMemberStatus(
    roomId: string,
    userId: string,
    status: MemberStatus,
    manager: EntityManager,
  ): Promise<void> {
    await this.memberRepo(manager).update({ roomId, userId }, { status });
  }

  // A room's status, host, waiting-room flag and active members, in one round trip.
  async withActiveMembers(
    roomId: string,
    manager: EntityManager,
  ): Promise<RoomWithActiveMembers | null> {
    const rows: {
      status: RoomStatus;
      host_id: string;
      waiting_room: boolean;
      members: string[];
    }[] = await manager.query(
      `SELECT r.status, r.host_id, r.waiting_room,
              ARRAY(SELECT m.user_id FROM room_members m
                     WHERE m.room_id = r.id AND m.status = $2) AS members
         FROM rooms r WHERE r.id = $1`,
      [roomId, MemberStatus.Active],
    );
    const row = rows[0];
    return row
      ? {
          id: roomId,
          status: row.status,
          hostId: row.host_id,
          waitingRoom: row.waiting_room,
          activeMemberIds: row.members,
        }
      : null;
  }

  async activeMemberIds(roomId: string, manager: EntityManager): Promise<string[]> {
    const rows = await this.memberRepo(manager).find({
      select: { userId: true },
      where: { roomId, status: MemberStatus.Active },
    });
    return rows.map((r) => r.userId);
  }

  async hasOpenActiveMembership(userId: string): Promise<boolean> {
    const rows = await this.members.query<unknown[]>(
      `SELECT 1 FROM room_members m JOIN rooms r ON r.id = m.room_id
        WHERE m.user_id = $1 AND m.status = $2 AND r.status = $3 LIMIT 1`,
      [userId, MemberStatus.Active, RoomStatus.Open],
    );
    return rows.length > 0;
  }

  async removeMember(roomId: string, userId: string, manager: EntityManager): Promise<boolean> {
    const res = await this.memberRepo(manager).delete({ roomId, userId });
    return (res.affected ?? 0) > 0;
  }

  // Closes the room (status and time) in one UPDATE: save would read the row back first.
  async markClosed(room: RoomEntity, closedAt: Date, manager: EntityManager): Promise<void> {
    await preparedRows(manager, MARK_CLOSED, [room.id, RoomStatus.Closed, closedAt]);
    room.status = RoomStatus.Closed;
    room.closedAt = closedAt;
  }

  async save(room: RoomEntity, manager: EntityManager): Promise<RoomEntity> {
    return this.roomRepo(manager).save(room);
  }

  // Newest first; `userId` limits the page to rooms that user is a member of.
  listPage(
    userId: string | undefined,
    after: CursorPosition | undefined,
    limit: number,
  ): Promise<RoomEntity[]> {
    const qb = this.rooms.createQueryBuilder('r');
    if (userId)
      qb.innerJoin(RoomMemberEntity, 'm', 'm.room_id = r.id AND m.user_id = :userId', { userId });
    if (after)
      qb.andWhere(
        new Brackets((w) =>
          w
            .where('r.created_at < :at', { at: after.at })
            .orWhere('r.created_at = :at AND r.id < :id', { at: after.at, id: after.id }),
        ),
      );
    return qb.orderBy('r.created_at', 'DESC').addOrderBy('r.id', 'DESC').limit(limit).getMany();
  }

  async membersOfRooms(roomIds: string[]): Promise<RoomMemberEntity[]> {
    if (roomIds.length === 0) return [];
    return this.members
      .createQueryBuilder('m')
      .where('m.room_id IN (:...roomIds)', { roomIds })
      .orderBy('m.created_at', 'ASC')
      .getMany();
  }

  async roomIdsOf(userId: string): Promise<string[]> {
    const rows = await this.members.find({
      where: { userId, status: MemberStatus.Active },
      select: { roomId: true },
    });
    return rows.map((r) => r.roomId);
  }
}

export interface RoomWithActiveMembers {
  id: string;
  status: RoomStatus;
  hostId: string;
  waitingRoom: boolean;
  activeMemberIds: string[];
}
