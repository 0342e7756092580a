import type { RoomResponse } from './dto/room.dto';
import type { RoomEntity, RoomMemberEntity } from './room.entity';

export function toRoomResponse(room: RoomEntity, members: RoomMemberEntity[]): RoomResponse {
  return {
    id: room.id,
    name: room.name,
    type: room.type,
    hostId: room.hostId,
    status: room.status,
    waitingRoom: room.waitingRoom,
    maxParticipants: room.maxParticipants,
    scheduledFor: room.scheduledFor ? room.scheduledFor.toISOString() : null,
    members: members.map((m) => ({ userId: m.userId, role: m.role, status: m.status })),
    createdAt: room.createdAt.toISOString(),
  };
}
