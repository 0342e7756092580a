import type { SessionResponse } from './dto/session.dto';
import type { SessionEntity, SessionParticipantEntity } from './session.entity';

export function toSessionResponse(
  session: SessionEntity,
  participants: SessionParticipantEntity[],
  now: Date = new Date(),
): SessionResponse {
  const end = session.endedAt ?? now;
  return {
    id: session.id,
    roomId: session.roomId,
    status: session.status,
    startedAt: session.startedAt.toISOString(),
    endedAt: session.endedAt ? session.endedAt.toISOString() : null,
    durationSeconds: Math.max(0, Math.round((end.getTime() - session.startedAt.getTime()) / 1000)),
    participants: participants.map((p) => ({
      userId: p.userId,
      joinedAt: p.joinedAt.toISOString(),
      leftAt: p.leftAt ? p.leftAt.toISOString() : null,
    })),
  };
}
