import type { EntityManager } from 'typeorm';
import type { AuthUser } from '../../../common/auth/auth-user';
import type { RoomEntity } from '../room.entity';

// Who closed a room or took a member out: a user, or the server itself (id null), e.g. a call
// that timed out.
export interface RoomCloser {
  id: string | null;
  role: string | null;
}

// Work a participant runs after the rooms' transaction commits (telling clients).
export type AfterCommit = () => void;

// Modules built on rooms (sessions, care) act inside the rooms' own transactions, without
// rooms depending on them: each provides a class extending this port, and the rooms service
// calls every implementation (a multi-implementation port, docs/architecture.md). A step a
// participant does not care about keeps the default, which does nothing.
export abstract class RoomLifecycleParticipant {
  // Participants run in ascending order: sessions (1) end the live stays before care (2)
  // counts a relationship's follow-up from the last of them.
  abstract readonly order: number;

  // The room closed (by its host or an admin, or with its call), inside the closing
  // transaction, which holds the room's lock.
  roomClosed(
    _roomId: string,
    _actor: RoomCloser,
    _reason: string,
    _manager: EntityManager,
  ): Promise<AfterCommit | undefined> {
    return Promise.resolve(undefined);
  }

  // A member was taken out of the room by its host or an admin, inside that transaction.
  memberRemoved(
    _roomId: string,
    _userId: string,
    _actor: RoomCloser,
    _manager: EntityManager,
  ): Promise<AfterCommit | undefined> {
    return Promise.resolve(undefined);
  }

  // A patient accepted their invitation (membership now active), inside the accepting
  // transaction.
  invitationAccepted(
    _room: RoomEntity,
    _patient: AuthUser,
    _manager: EntityManager,
  ): Promise<void> {
    return Promise.resolve();
  }
}
