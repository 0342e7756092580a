import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class IceServerDto {
  @ApiProperty({ type: [String], example: ['turn:turn.example.org:3478?transport=udp'] })
  urls!: string[];

  @ApiPropertyOptional({ example: '1763703000:5b0c1f8e-2f6a-4d8e-9a43-0f4f6a3c1d2e' })
  username?: string;

  @ApiPropertyOptional({
    example: 'v1sS0dXh4lBv2qR9yE3Fq0yWk3s=',
    description: 'base64 HMAC-SHA1 of the username (TURN REST)',
  })
  credential?: string;
}

export class IceServersResponse {
  @ApiProperty({ type: [IceServerDto] })
  iceServers!: IceServerDto[];

  @ApiProperty({ type: 'integer', example: 900 })
  ttlSeconds!: number;

  @ApiProperty({ example: '2026-03-14T09:51:00.000Z', format: 'date-time' })
  expiresAt!: string;
}
