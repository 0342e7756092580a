import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { AuthUser } from '../../common/auth/auth-user';
import type { RoomEntity } from '../rooms/room.entity';
import {
  type AfterCommit,
  type RoomCloser,
  RoomLifecycleParticipant,
} from '../rooms/ports/room-lifecycle.port';
import { CareEndReason } from './care-relationship.entity';
import { CareService, ROOM_SOURCES } from './care.service';

// A room is the source of the care relationships made in it, by an accepted invitation or by
// the appointment the room belongs to: accepting an invitation makes them, closing the room or
// taking a party out ends their live phase, inside the rooms' own transactions. Runs after
// sessions, whose stays the follow-up is counted from.
@Injectable()
export class CareRoomParticipant extends RoomLifecycleParticipant {
  readonly order = 2;

  constructor(private readonly care: CareService) {
    super();
  }

  override async invitationAccepted(
    room: RoomEntity,
    patient: AuthUser,
    m: EntityManager,
  ): Promise<void> {
    await this.care.fromAcceptedInvitation(room, patient, m);
  }

  override async roomClosed(
    roomId: string,
    actor: RoomCloser,
    _reason: string,
    m: EntityManager,
  ): Promise<AfterCommit | undefined> {
    for (const source of ROOM_SOURCES)
      await this.care.endLivePhase(source, roomId, actor, CareEndReason.SourceClosed, m);
    return undefined;
  }

  override async memberRemoved(
    roomId: string,
    userId: string,
    actor: RoomCloser,
    m: EntityManager,
  ): Promise<AfterCommit | undefined> {
    for (const source of ROOM_SOURCES)
      await this.care.endLivePhase(
        source,
        roomId,
        actor,
        CareEndReason.RemovedFromSource,
        m,
        userId,
      );
    return undefined;
  }
}
