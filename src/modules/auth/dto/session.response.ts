import { ApiProperty } from '@nestjs/swagger';
import type { DeviceSessionEntity } from '../sessions/device-session.entity';

export class SessionResponse {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ type: String, format: 'date-time' })
  lastUsedAt!: string;

  @ApiProperty({ type: String, format: 'date-time', description: 'Absolute end of the session.' })
  expiresAt!: string;

  @ApiProperty({ type: String, nullable: true })
  userAgent!: string | null;

  @ApiProperty({ type: String, nullable: true })
  ip!: string | null;

  @ApiProperty({ description: 'This is the session of the token making the request.' })
  current!: boolean;
}

export class SessionListResponse {
  @ApiProperty({ type: [SessionResponse] })
  items!: SessionResponse[];
}

export function toSessionResponse(s: DeviceSessionEntity, currentId: string): SessionResponse {
  return {
    id: s.id,
    createdAt: s.createdAt.toISOString(),
    lastUsedAt: s.lastUsedAt.toISOString(),
    expiresAt: s.expiresAt.toISOString(),
    userAgent: s.userAgent,
    ip: s.ip,
    current: s.id === currentId,
  };
}
