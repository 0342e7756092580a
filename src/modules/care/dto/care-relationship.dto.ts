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
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'uuid' })
  clinicianId!: string;

  @ApiProperty({ format: 'uuid' })
  patientId!: string;

  @ApiProperty({
    enum: CareSource,
    description:
      'The patient’s act it rests on: `room_invitation` (accepted), later `appointment`.',
  })
  source!: CareSource;

  @ApiProperty({ format: 'uuid', description: 'The room (or appointment) it came from.' })
  sourceId!: string;

  @ApiProperty({ format: 'date-time' })
  since!: string;

  @ApiProperty({
    format: 'date-time',
    nullable: true,
    type: String,
    description:
      'Null while its source is live; otherwise access ends then (the follow-up window after the last consultation, or at once).',
  })
  until!: string | null;

  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  endedAt!: string | null;

  @ApiProperty({ format: 'uuid', nullable: true, type: String, description: 'Who ended it.' })
  endedBy!: string | null;

  @ApiProperty({ enum: CareEndReason, nullable: true })
  endReason!: CareEndReason | null;

  @ApiProperty({ enum: STATUSES })
  status!: CareStatus;
}

export class CareRelationshipListResponse {
  @ApiProperty({ type: [CareRelationshipResponse] })
  items!: CareRelationshipResponse[];

  @ApiProperty({ nullable: true, type: String })
  nextCursor!: string | null;
}
