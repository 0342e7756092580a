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
  @ApiProperty({ format: 'uuid' })
  userId!: string;

  @ApiProperty({ format: 'date-time' })
  joinedAt!: string;

  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  leftAt!: string | null;
}

export class SessionResponse {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'uuid' })
  roomId!: string;

  @ApiProperty({ enum: SessionStatus })
  status!: SessionStatus;

  @ApiProperty({ format: 'date-time' })
  startedAt!: string;

  @ApiProperty({ format: 'date-time', nullable: true, type: String })
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

  @ApiProperty({ nullable: true, type: String })
  nextCursor!: string | null;
}
