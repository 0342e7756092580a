import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  type AfterCommit,
  type RoomCloser,
  RoomLifecycleParticipant,
} from '../rooms/ports/room-lifecycle.port';
import { RoomPresenceService } from './room-presence.service';
import { SessionsService } from './sessions.service';

// Sessions live in rooms: closing a room ends its live session, and a member taken out of a
// room leaves it at once, inside the rooms' own transactions. Runs first: care counts its
// follow-up from the stays ended here.
@Injectable()
export class SessionsRoomParticipant extends RoomLifecycleParticipant {
  readonly order = 1;

  constructor(
    private readonly sessions: SessionsService,
    private readonly presence: RoomPresenceService,
  ) {
    super();
  }

  override roomClosed(
    roomId: string,
    actor: RoomCloser,
    reason: string,
    m: EntityManager,
  ): Promise<AfterCommit | undefined> {
    return this.sessions.endForClosedRoom(roomId, actor, reason, m);
  }

  override memberRemoved(
    roomId: string,
    userId: string,
    _actor: RoomCloser,
    m: EntityManager,
  ): Promise<AfterCommit | undefined> {
    return this.presence.removedFromRoom(roomId, userId, m);
  }
}
