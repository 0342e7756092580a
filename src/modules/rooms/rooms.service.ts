import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { PortImplementations } from '../../common/ports/port-implementations';
import type { AuthUser } from '../../common/auth/auth-user';
import { Role } from '../../common/auth/role';
import { decodeCursor, DEFAULT_PAGE_SIZE, encodeCursor } from '../../common/http/cursor';
import { AuditAction, AuditOutcome } from '../audit/audit-action';
import { AuditService } from '../audit/audit.service';
import { type UserEntity, UserStatus } from '../users/user.entity';
import { UsersRepository } from '../users/users.repository';
import type {
  AddMemberRequest,
  CreateRoomRequest,
  ListRoomsQuery,
  RoomListResponse,
  RoomResponse,
  UpdateRoomRequest,
} from './dto/room.dto';
import {
  MemberRole,
  MemberStatus,
  type RoomEntity,
  type RoomMemberEntity,
  RoomStatus,
  RoomType,
} from './room.entity';
import { toRoomResponse } from './room.mapper';
import { RoomErrors } from './rooms.errors';
import { RoomsRepository, type RoomWithActiveMembers } from './rooms.repository';
import {
  type AfterCommit,
  type RoomCloser,
  RoomLifecycleParticipant,
} from './ports/room-lifecycle.port';

export type { RoomCloser } from './ports/room-lifecycle.port';

// rooms_max_participants_check: no room holds more than this.
const MAX_ROOM_SIZE = 50;

// What a caller may do in a room, established once by `access()`.
export interface RoomAccess {
  room: RoomEntity;
  // The caller's membership; null for an admin who is not a member.
  membership: RoomMemberEntity | null;
  canManage: boolean;
}

export interface AccessOptions {
  // Lets an invited (not yet accepted) member through: to see the room and answer the
  // invitation, nothing else.
  invited?: boolean;
}

@Injectable()
export class RoomsService {
  private lifecycle?: RoomLifecycleParticipant[];

  constructor(
    private readonly dataSource: DataSource,
    private readonly rooms: RoomsRepository,
    private readonly users: UsersRepository,
    private readonly audit: AuditService,
    private readonly implementations: PortImplementations,
  ) {}

  // The one record-level check: active members and admins see a room, everyone else gets 404
  // so room ids cannot be probed; only the host and admins manage it. An invited member is
  // let through only where `options.invited` says so (seeing the room, answering).
  async access(
    actor: AuthUser,
    roomId: string,
    manager?: EntityManager,
    options: AccessOptions = {},
  ): Promise<RoomAccess> {
    const room = await this.rooms.findById(roomId, manager);
    if (!room) throw RoomErrors.notFound();
    const found = await this.rooms.findMember(roomId, actor.id, manager);
    const membership =
      found && (found.status === MemberStatus.Active || options.invited) ? found : null;
    const isAdmin = actor.role === Role.Admin;
    if (!membership && !isAdmin) throw RoomErrors.notFound();
    return { room, membership, canManage: isAdmin || room.hostId === actor.id };
  }

  async manageable(actor: AuthUser, roomId: string, manager?: EntityManager): Promise<RoomAccess> {
    const access = await this.access(actor, roomId, manager);
    if (!access.canManage) throw RoomErrors.notHost();
    return access;
  }

  async create(actor: AuthUser, dto: CreateRoomRequest): Promise<RoomResponse> {
    const members = await this.activeUsers(dto.memberIds);
    return this.dataSource.transaction(async (m) => {
      const room = await this.rooms.insertWithMembers(
        {
          name: dto.name,
          type: dto.type,
          hostId: actor.id,
          waitingRoom: dto.waitingRoom ?? false,
          maxParticipants: dto.maxParticipants ?? 2,
          scheduledFor: dto.scheduledFor ?? null,
        },
        members
          .filter((u) => u.id !== actor.id)
          .map((u) => ({ userId: u.id, status: statusOnArrival(u) })),
        m,
      );
      await this.record(actor, AuditAction.RoomCreate, room.id, m, {
        type: room.type,
        members: dto.memberIds.length,
        invited: members.filter((u) => statusOnArrival(u) === MemberStatus.Invited).length,
      });
      return toRoomResponse(room, await this.rooms.membersOf(room.id, m));
    });
  }

  async get(actor: AuthUser, roomId: string): Promise<RoomResponse> {
    const { room } = await this.access(actor, roomId, undefined, { invited: true });
    return toRoomResponse(room, await this.rooms.membersOf(room.id));
  }

  async list(actor: AuthUser, query: ListRoomsQuery): Promise<RoomListResponse> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const rows = await this.rooms.listPage(
      actor.role === Role.Admin ? undefined : actor.id,
      decodeCursor(query.cursor),
      limit + 1,
    );
    const page = rows.slice(0, limit);
    const members = await this.rooms.membersOfRooms(page.map((r) => r.id));
    const last = page.at(-1);
    return {
      items: page.map((r) =>
        toRoomResponse(
          r,
          members.filter((mm) => mm.roomId === r.id),
        ),
      ),
      nextCursor:
        rows.length > limit && last ? encodeCursor({ at: last.createdAt, id: last.id }) : null,
    };
  }

  async update(actor: AuthUser, roomId: string, dto: UpdateRoomRequest): Promise<RoomResponse> {
    return this.dataSource.transaction(async (m) => {
      const { room } = await this.manageable(actor, roomId, m);
      if (room.status === RoomStatus.Closed) throw RoomErrors.closed();
      if (dto.name !== undefined) room.name = dto.name;
      if (dto.waitingRoom !== undefined) room.waitingRoom = dto.waitingRoom;
      if (dto.maxParticipants !== undefined) room.maxParticipants = dto.maxParticipants;
      if (dto.scheduledFor !== undefined) room.scheduledFor = dto.scheduledFor;
      const saved = await this.rooms.save(room, m);
      await this.record(actor, AuditAction.RoomUpdate, room.id, m, {
        fields: Object.keys(dto).sort(),
      });
      return toRoomResponse(saved, await this.rooms.membersOf(room.id, m));
    });
  }

  // A call's own room (type `call`, for the calls module): the caller hosts it, the callees
  // are active members at once, inside the call's transaction. The call's change is the
  // audited action. Returns the room's id.
  async openCallRoom(
    callerId: string,
    calleeIds: readonly string[],
    name: string,
    m: EntityManager,
  ): Promise<string> {
    const room = await this.rooms.insertWithMembers(
      {
        name,
        type: RoomType.Call,
        hostId: callerId,
        waitingRoom: false,
        maxParticipants: Math.max(2, calleeIds.length + 1),
        scheduledFor: null,
      },
      calleeIds.map((userId) => ({ userId, status: MemberStatus.Active })),
      m,
    );
    return room.id;
  }

  // Retention of calls: their own rooms go with them (members and sessions by cascade).
  destroyCallRooms(roomIds: string[], m: EntityManager): Promise<number> {
    return this.rooms.deleteCallRooms(roomIds, m);
  }

  // Closing is final: the room stays listed for its history, but nobody can join it again.
  // The modules built on rooms (RoomLifecycleParticipant) act inside the closing transaction.
  async close(actor: AuthUser, roomId: string): Promise<void> {
    const afterCommit = await this.dataSource.transaction(async (m) => {
      await this.manageable(actor, roomId, m);
      const room = await this.lockForPresence(roomId, m);
      if (room.status === RoomStatus.Closed) return [];
      room.status = RoomStatus.Closed;
      room.closedAt = new Date();
      await this.rooms.save(room, m);
      await this.record(actor, AuditAction.RoomClose, room.id, m);
      return this.closed(room.id, actor, 'room-closed', m);
    });
    for (const run of afterCommit) run();
  }

  // A call's own room closes with its call, inside the call's transaction (the call's change
  // is the audited action). Returns the work to run after the commit.
  closeForCall(roomId: string, actor: RoomCloser, m: EntityManager): Promise<(() => void)[]> {
    return this.closeWithin(roomId, actor, 'call-ended', m);
  }

  // A room owned by another record (a call, an appointment) closes inside that record's
  // transaction; the record's change is the audited action. Returns the work to run after
  // the commit.
  async closeWithin(
    roomId: string,
    actor: RoomCloser,
    reason: string,
    m: EntityManager,
  ): Promise<(() => void)[]> {
    const room = await this.lockForPresence(roomId, m);
    if (room.status === RoomStatus.Closed) return [];
    await this.rooms.markClosed(room, new Date(), m);
    return this.closed(room.id, actor, reason, m);
  }

  // An appointment's own consultation room (docs/appointments.md), inside the booking's
  // transaction: the clinician hosts, with a waiting room; the patient is an active member
  // when they booked it themselves, invited while a clinician's booking awaits them.
  createForAppointment(
    input: { name: string; hostId: string; patientId: string; patientActive: boolean },
    m: EntityManager,
  ): Promise<RoomEntity> {
    return this.rooms.insertWithMembers(
      {
        name: input.name,
        type: RoomType.Consultation,
        hostId: input.hostId,
        waitingRoom: true,
        maxParticipants: 2,
        scheduledFor: null,
      },
      [
        {
          userId: input.patientId,
          status: input.patientActive ? MemberStatus.Active : MemberStatus.Invited,
        },
      ],
      m,
    );
  }

  // An appointment moved to another clinician (docs/appointments.md, "Transfer"): they host
  // its room from now on, in the transfer's transaction; the clinician it leaves is no longer
  // a member. Knocks at the waiting room stay where they are.
  async changeAppointmentHost(
    roomId: string,
    fromId: string,
    toId: string,
    m: EntityManager,
  ): Promise<void> {
    const room = await this.lockForPresence(roomId, m);
    room.hostId = toId;
    await this.rooms.save(room, m);
    await this.rooms.removeMember(roomId, fromId, m);
    await this.rooms.addMember(roomId, toId, MemberRole.Host, MemberStatus.Active, m);
  }

  // The patient confirmed the appointment of this room: their membership becomes active.
  // The appointment is the audited act and makes the care relationship itself.
  async activateMember(roomId: string, userId: string, m: EntityManager): Promise<void> {
    await this.lockForPresence(roomId, m);
    await this.rooms.setMemberStatus(roomId, userId, MemberStatus.Active, m);
  }

  // An invitation's guest (docs/appointments.md, "Invitations") becomes an active participant
  // of the appointment's room, and the room grows to hold everybody who is a member: the
  // waiting room still decides who is let in.
  async addGuest(
    roomId: string,
    guestId: string,
    role: MemberRole.Guest | MemberRole.Interpreter | MemberRole.Companion,
    m: EntityManager,
  ): Promise<void> {
    const room = await this.lockForPresence(roomId, m);
    if (room.status === RoomStatus.Closed) throw RoomErrors.closed();
    await this.rooms.addMember(roomId, guestId, role, MemberStatus.Active, m);
    const members = (await this.rooms.membersOf(roomId, m)).length;
    if (members > MAX_ROOM_SIZE) throw RoomErrors.full();
    if (room.maxParticipants < members) {
      room.maxParticipants = members;
      await this.rooms.save(room, m);
    }
  }

  // A revoked invitation's guest leaves the room's members at once: presence ends their stay
  // (RoomLifecycleParticipant.memberRemoved, as when a host removes a member). Answers what to
  // run after the commit.
  async removeGuest(
    roomId: string,
    guestId: string,
    actor: RoomCloser,
    m: EntityManager,
  ): Promise<AfterCommit[]> {
    await this.lockForPresence(roomId, m);
    if (!(await this.rooms.removeMember(roomId, guestId, m))) return [];
    const after: AfterCommit[] = [];
    for (const participant of this.participants()) {
      const next = await participant.memberRemoved(roomId, guestId, actor, m);
      if (next) after.push(next);
    }
    return after;
  }

  private async closed(
    roomId: string,
    actor: RoomCloser,
    reason: string,
    m: EntityManager,
  ): Promise<AfterCommit[]> {
    const after: AfterCommit[] = [];
    for (const participant of this.participants()) {
      const next = await participant.roomClosed(roomId, actor, reason, m);
      if (next) after.push(next);
    }
    return after;
  }

  // Every module built on rooms, in their order; collected once, after the app is built.
  private participants(): RoomLifecycleParticipant[] {
    this.lifecycle ??= this.implementations
      .of(RoomLifecycleParticipant)
      .sort((a, b) => a.order - b.order);
    return this.lifecycle;
  }

  // A patient added by a clinician is invited: the addition gives the clinician nothing until
  // the patient accepts. Anyone else is an active member at once.
  async addMember(actor: AuthUser, roomId: string, dto: AddMemberRequest): Promise<RoomResponse> {
    const [user] = await this.activeUsers([dto.userId]);
    return this.dataSource.transaction(async (m) => {
      const { room } = await this.manageable(actor, roomId, m);
      if (room.status === RoomStatus.Closed) throw RoomErrors.closed();
      if (dto.userId === room.hostId) throw RoomErrors.hostMembership();
      const status = statusOnArrival(user);
      await this.rooms.addMember(roomId, dto.userId, MemberRole.Participant, status, m);
      await this.record(actor, AuditAction.RoomMemberAdd, roomId, m, { status }, dto.userId);
      return toRoomResponse(room, await this.rooms.membersOf(roomId, m));
    });
  }

  // Taking a member out ends their part in the room at once: the participants end a live stay
  // (their sockets hear `room:removed`) and the live phase of care relationships made here.
  async removeMember(actor: AuthUser, roomId: string, userId: string): Promise<void> {
    const afterCommit = await this.dataSource.transaction(async (m) => {
      const { room } = await this.manageable(actor, roomId, m);
      if (userId === room.hostId) throw RoomErrors.hostMembership();
      await this.lockForPresence(roomId, m);
      const member = await this.rooms.findMember(roomId, userId, m);
      if (!member || !(await this.rooms.removeMember(roomId, userId, m)))
        throw RoomErrors.memberNotFound();
      await this.record(
        actor,
        AuditAction.RoomMemberRemove,
        roomId,
        m,
        { status: member.status },
        userId,
      );
      const after: AfterCommit[] = [];
      for (const participant of this.participants()) {
        const next = await participant.memberRemoved(
          roomId,
          userId,
          { id: actor.id, role: actor.role },
          m,
        );
        if (next) after.push(next);
      }
      return after;
    });
    for (const run of afterCommit) run();
  }

  // The invited patient's answer: yes. The membership becomes active and the participants make the
  // care relationships with the clinicians active in the room now. Accepting twice is no
  // error and changes nothing.
  async accept(actor: AuthUser, roomId: string): Promise<RoomResponse> {
    return this.dataSource.transaction(async (m) => {
      const { room, membership } = await this.access(actor, roomId, m, { invited: true });
      if (!membership) throw RoomErrors.notFound();
      await this.lockForPresence(roomId, m);
      if (membership.status === MemberStatus.Invited) {
        if (room.status === RoomStatus.Closed) throw RoomErrors.closed();
        await this.rooms.setMemberStatus(roomId, actor.id, MemberStatus.Active, m);
        await this.record(actor, AuditAction.RoomInvitationAccept, roomId, m, undefined, actor.id);
        for (const participant of this.participants()) {
          await participant.invitationAccepted(room, actor, m);
        }
      }
      return toRoomResponse(room, await this.rooms.membersOf(roomId, m));
    });
  }

  // The invited patient's answer: no. The invitation goes; an accepted membership cannot be
  // declined (409).
  async decline(actor: AuthUser, roomId: string): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      const { membership } = await this.access(actor, roomId, m, { invited: true });
      if (!membership) throw RoomErrors.notFound();
      if (membership.status !== MemberStatus.Invited) throw RoomErrors.notInvited();
      await this.rooms.removeMember(roomId, actor.id, m);
      await this.record(actor, AuditAction.RoomInvitationDecline, roomId, m, undefined, actor.id);
    });
  }

  // Serialises presence changes (join, leave, admit) of one room across instances.
  async lockForPresence(roomId: string, manager: EntityManager): Promise<RoomEntity> {
    const room = await this.rooms.lockById(roomId, manager);
    if (!room) throw RoomErrors.notFound();
    return room;
  }

  // lockForPresence with reads behind the lock, sent with it in one round trip: they run after
  // the lock is granted, as they would if sent after it (RoomsRepository.lockByIdWith).
  async lockForPresenceWith<T>(
    roomId: string,
    manager: EntityManager,
    reads: () => Promise<T>,
  ): Promise<{ room: RoomEntity; result: T }> {
    const { room, result } = await this.rooms.lockByIdWith(roomId, manager, reads);
    if (!room) throw RoomErrors.notFound();
    return { room, result };
  }

  // The room as it is now and its active members, in one read, without a check of the
  // caller (the chat reads them in a message's turn, after its own check).
  withActiveMembers(roomId: string, manager: EntityManager): Promise<RoomWithActiveMembers | null> {
    return this.rooms.withActiveMembers(roomId, manager);
  }

  async memberRole(
    roomId: string,
    userId: string,
    manager?: EntityManager,
  ): Promise<MemberRole | null> {
    return (await this.rooms.findMember(roomId, userId, manager))?.role ?? null;
  }

  // Every member's role in the room, read at once (a join's answer lists them all).
  async memberRoles(roomId: string, manager?: EntityManager): Promise<Map<string, MemberRole>> {
    const members = await this.rooms.membersOf(roomId, manager);
    return new Map(members.map((m) => [m.userId, m.role]));
  }

  // Every member of the room with their role and status, read at once (the joins of a call's
  // accept check them all under one lock).
  async memberships(
    roomId: string,
    manager: EntityManager,
  ): Promise<Map<string, { role: MemberRole; status: MemberStatus }>> {
    const members = await this.rooms.membersIn(roomId, manager);
    return new Map(members.map((m) => [m.userId, { role: m.role, status: m.status }]));
  }

  // Ids of the rooms a user is an active member of (session history is visible to them).
  roomIdsOf(userId: string): Promise<string[]> {
    return this.rooms.roomIdsOf(userId);
  }

  // The active members of a room (the clinicians a patient's acceptance relates them to).
  activeMemberIds(roomId: string, manager: EntityManager): Promise<string[]> {
    return this.rooms.activeMemberIds(roomId, manager);
  }

  // Whether the user is an active member of some open room, a call's own room included
  // (who may have TURN credentials, docs/access-model.md).
  hasOpenActiveMembership(userId: string): Promise<boolean> {
    return this.rooms.hasOpenActiveMembership(userId);
  }

  private async activeUsers(ids: string[]): Promise<UserEntity[]> {
    const users = await this.users.findByIds(ids);
    for (const id of ids) {
      const user = users.find((u) => u.id === id);
      if (!user || user.status !== UserStatus.Active) throw RoomErrors.unknownUser(id);
    }
    return ids.map((id) => users.find((u) => u.id === id) as UserEntity);
  }

  private async record(
    actor: AuthUser,
    action: AuditAction,
    roomId: string,
    manager: EntityManager,
    details?: Record<string, unknown>,
    subjectId?: string,
  ): Promise<void> {
    await this.audit.record(
      {
        action,
        outcome: AuditOutcome.Success,
        actor: { userId: actor.id, role: actor.role },
        resource: { type: 'room', id: roomId },
        subjectId,
        details,
      },
      manager,
    );
  }
}

// A patient arrives invited (their own acceptance makes them a member); anyone else active.
function statusOnArrival(user: Pick<UserEntity, 'role'>): MemberStatus {
  return user.role === Role.Patient ? MemberStatus.Invited : MemberStatus.Active;
}
