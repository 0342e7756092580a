import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { PageQuery } from '../../../common/pagination/page-query.dto';
import { CareEndReason, CareSource } from '../care-relationship.entity';
import type { CareStatus } from '../care-timeline';
import type { CareFilter } from '../care.repository';

const STATUSES: CareStatus[] = ['active', 'follow_up', 'ended'];
const FILTERS: CareFilter[] = ['current', 'active', 'follow_up', 'ended', 'all'];

export class ListCareRelationshipsQuery extends PageQuery {
  @ApiPropertyOptional({
    enum: FILTERS,
    default: 'current',
    description:
      '`current` (default): active or in follow-up, i.e. every relationship that grants access now; `all` includes ended ones.',
  })
  @IsOptional()
  @IsIn(FILTERS)
  status?: CareFilter;
}

export class CareRelationshipResponse {
  @ApiProperty({ example: 'e2c4a6b8-1d3f-4a5c-8e7b-9d0f1a2b3c4d', format: 'uuid' })
  id!: string;

  @ApiProperty({ example: '0b9f6f55-3c84-4d1e-9a56-d7f2c8a1e3b4', format: 'uuid' })
  clinicianId!: string;

  @ApiProperty({ example: 'a41d9e07-6b3c-4f28-8d15-2c7e9b0f4a61', format: 'uuid' })
  patientId!: string;

  @ApiProperty({
    example: 'room_invitation',
    enum: CareSource,
    description:
      'The patient’s act it rests on: `room_invitation` (accepted), later `appointment`.',
  })
  source!: CareSource;

  @ApiProperty({
    example: '3f6c2a8e-1d4b-4c7a-9e52-8b1f0d7a6c34',
    format: 'uuid',
    description: 'The room (or appointment) it came from.',
  })
  sourceId!: string;

  @ApiProperty({ example: '2026-03-14T09:30:00.000Z', format: 'date-time' })
  since!: string;

  @ApiProperty({
    example: null,
    format: 'date-time',
    nullable: true,
    type: String,
    description:
      'Null while its source is live; otherwise access ends then (the follow-up window after the last consultation, or at once).',
  })
  until!: string | null;

  @ApiProperty({ example: null, format: 'date-time', nullable: true, type: String })
  endedAt!: string | null;

  @ApiProperty({
    example: null,
    format: 'uuid',
    nullable: true,
    type: String,
    description: 'Who ended it.',
  })
  endedBy!: string | null;

  @ApiProperty({ example: null, enum: CareEndReason, nullable: true })
  endReason!: CareEndReason | null;

  @ApiProperty({ example: 'active', enum: STATUSES })
  status!: CareStatus;
}

export class CareRelationshipListResponse {
  @ApiProperty({ type: [CareRelationshipResponse] })
  items!: CareRelationshipResponse[];

  @ApiProperty({ example: null, nullable: true, type: String })
  nextCursor!: string | null;
}
