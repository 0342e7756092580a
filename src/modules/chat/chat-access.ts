import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { AuthUser } from '../../common/auth/auth-user';
import { MemberRole, type RoomEntity, RoomStatus } from '../rooms/room.entity';
import { RoomsService } from '../rooms/rooms.service';
import { SessionsService } from '../sessions/sessions.service';
import type { ChatRoomEntity } from './chat.entity';
import { ChatErrors } from './chat.errors';
import { ChatRepository } from './chat.repository';

// Where the caller stands in a room's chat.
export interface ChatStanding {
  room: RoomEntity;
  // The room's chat row as it was read (null before the room's first message or setting).
  chat?: ChatRoomEntity | null;
  // Whether people in the waiting room may read and write (the host's setting).
  waitingMayChat: boolean;
  isHost: boolean;
}

// The one record-level check of the chat (docs/chat.md, "Who takes part"):
// - the room's membership decides, through RoomsService.access (the rooms module's own
//   check): active members only; others get 404 as for the room itself; an admin who is not a
//   member is refused (FORBIDDEN, NOT_A_MEMBER): the chat is health data between the people
//   in the consultation. A participant admitted to one room only (an invitation's guest) takes
//   part the same way once that check admits them.
// - behind a waiting room, a member who is neither the host nor in the room's live session is
//   waiting: they read and write only if the host allowed it (WAITING_NOT_ALLOWED).
// It runs on every send, read, typing signal, history page and download, so a member removed
// from the room is refused from their next event on and no longer receives anything.
@Injectable()
export class ChatAccess {
  constructor(
    private readonly rooms: RoomsService,
    private readonly sessions: SessionsService,
    private readonly chat: ChatRepository,
  ) {}

  async standing(actor: AuthUser, roomId: string, m: EntityManager): Promise<ChatStanding> {
    const { room, membership } = await this.rooms.access(actor, roomId, m);
    if (!membership) throw ChatErrors.notAMember();
    const chat = await this.chat.findRoom(roomId, m);
    const waitingMayChat = chat?.waitingMayChat ?? false;
    const isHost = membership.role === MemberRole.Host;
    if (room.waitingRoom && !waitingMayChat && !isHost) {
      const live = await this.sessions.liveUserIds(roomId, m);
      if (!live.has(actor.id)) throw ChatErrors.waiting();
    }
    return { room, chat, waitingMayChat, isHost };
  }

  // The room as it stands now, read in a message's turn: whether it is open and who hears
  // its chat. The same rule as `standing` and `audience`: whoever may write is among those who
  // hear, so a sender missing from `hearers` (removed, no longer a participant, back in the
  // waiting room) is refused there, whatever an earlier check found.
  async now(roomId: string, m: EntityManager): Promise<{ open: boolean; hearers: string[] }> {
    const room = await this.rooms.withActiveMembers(roomId, m);
    if (!room) return { open: false, hearers: [] };
    const open = room.status === RoomStatus.Open;
    // The host's setting matters behind a waiting room only.
    if (!room.waitingRoom) return { open, hearers: room.activeMemberIds };
    if ((await this.chat.findRoom(roomId, m))?.waitingMayChat)
      return { open, hearers: room.activeMemberIds };
    const live = await this.sessions.liveUserIds(roomId, m);
    return {
      open,
      hearers: room.activeMemberIds.filter((id) => id === room.hostId || live.has(id)),
    };
  }

  // Who hears the room's chat now: its active members, less the people held in the waiting
  // room unless the host let them chat.
  async audience(standing: ChatStanding, m: EntityManager): Promise<string[]> {
    const { room } = standing;
    const members = await this.rooms.activeMemberIds(room.id, m);
    if (!room.waitingRoom || standing.waitingMayChat) return members;
    const live = await this.sessions.liveUserIds(room.id, m);
    return members.filter((id) => id === room.hostId || live.has(id));
  }
}
