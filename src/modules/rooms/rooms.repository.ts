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
    const repo = this.roomRepo(manager);
    const saved = await repo.save(repo.create({ ...room, status: RoomStatus.Open }));
    const members = [
      { roomId: saved.id, userId: room.hostId, role: MemberRole.Host, status: MemberStatus.Active },
      ...participants
        .filter((p) => p.userId !== room.hostId)
        .map((p) => ({
          roomId: saved.id,
          userId: p.userId,
          role: MemberRole.Participant,
          status: p.status,
        })),
    ];
    await this.memberRepo(manager).insert(members);
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
    return manager
      .getRepository(RoomEntity)
      .createQueryBuilder('r')
      .setLock('pessimistic_write')
      .where('r.id = :id', { id })
      .getOne();
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
      () => Promise.all([manager.getRepository(RoomEntity).findOne({ where: { id } }), reads()]),
    );
    const [room, read] = result;
    return { room: locked === 0 ? null : room, result: read };
  }

  membersOf(roomId: string, manager?: EntityManager): Promise<RoomMemberEntity[]> {
    return this.memberRepo(manager).find({ where: { roomId }, order: { createdAt: 'ASC' } });
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
    await this.roomRepo(manager).update({ id: room.id }, { status: RoomStatus.Closed, closedAt });
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
