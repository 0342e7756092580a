import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDate, IsOptional } from 'class-validator';
import { SessionStatus } from '../session.entity';
import { PageQuery } from '../../../common/pagination/page-query.dto';
import { IsId } from '../../../common/validation/ids';

export class ListSessionsQuery extends PageQuery {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsId()
  roomId?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'started at or after' })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  from?: Date;

  @ApiPropertyOptional({ format: 'date-time', description: 'started before' })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  to?: Date;
}

export class SessionParticipantResponse {
  @ApiProperty({ example: 'a41d9e07-6b3c-4f28-8d15-2c7e9b0f4a61', format: 'uuid' })
  userId!: string;

  @ApiProperty({ example: '2026-03-14T09:30:00.000Z', format: 'date-time' })
  joinedAt!: string;

  @ApiProperty({
    example: '2026-03-14T09:51:00.000Z',
    format: 'date-time',
    nullable: true,
    type: String,
  })
  leftAt!: string | null;
}

export class SessionResponse {
  @ApiProperty({ example: '7c1e5b92-0f3a-4d6e-b8a4-5e2d1c9f7b03', format: 'uuid' })
  id!: string;

  @ApiProperty({ example: '3f6c2a8e-1d4b-4c7a-9e52-8b1f0d7a6c34', format: 'uuid' })
  roomId!: string;

  @ApiProperty({ example: SessionStatus.Ended, enum: SessionStatus })
  status!: SessionStatus;

  @ApiProperty({ example: '2026-03-14T09:30:00.000Z', format: 'date-time' })
  startedAt!: string;

  @ApiProperty({
    example: '2026-03-14T09:51:00.000Z',
    format: 'date-time',
    nullable: true,
    type: String,
  })
  endedAt!: string | null;

  @ApiProperty({
    type: 'integer',
    description: 'Seconds from start to end, or to now while active.',
    example: 1260,
  })
  durationSeconds!: number;

  @ApiProperty({ type: [SessionParticipantResponse], description: 'One entry per stay.' })
  participants!: SessionParticipantResponse[];
}

export class SessionListResponse {
  @ApiProperty({ type: [SessionResponse] })
  items!: SessionResponse[];

  @ApiProperty({ example: null, nullable: true, type: String })
  nextCursor!: string | null;
}
