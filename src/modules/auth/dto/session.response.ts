import { ApiProperty } from '@nestjs/swagger';
import type { DeviceSessionEntity } from '../sessions/device-session.entity';

// A device session of the caller (a signed-in browser or app), not a consultation session.
export class DeviceSessionResponse {
  @ApiProperty({ format: 'uuid', example: '5f0c7a0e-2b7d-4a8e-9d0c-3e1f2a4b6c8d' })
  id!: string;

  @ApiProperty({ example: '2026-03-14T09:30:00.000Z', type: String, format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ example: '2026-03-14T09:51:00.000Z', type: String, format: 'date-time' })
  lastUsedAt!: string;

  @ApiProperty({
    example: '2026-04-13T09:30:00.000Z',
    type: String,
    format: 'date-time',
    description: 'Absolute end of the session.',
  })
  expiresAt!: string;

  @ApiProperty({ type: String, nullable: true, example: 'Mozilla/5.0 (X11; Linux x86_64)' })
  userAgent!: string | null;

  @ApiProperty({ type: String, nullable: true, example: '203.0.113.7' })
  ip!: string | null;

  @ApiProperty({
    example: true,
    description: 'This is the session of the token making the request.',
  })
  current!: boolean;
}

// A page like every list; a user's live device sessions are few, so it is always the last.
export class DeviceSessionListResponse {
  @ApiProperty({ type: [DeviceSessionResponse] })
  items!: DeviceSessionResponse[];

  @ApiProperty({ type: String, nullable: true, example: null, description: 'Always null.' })
  nextCursor!: null;
}

export function toSessionResponse(
  s: DeviceSessionEntity,
  currentId: string,
): DeviceSessionResponse {
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
