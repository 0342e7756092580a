import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsISO8601, IsOptional, IsString, Length, Matches } from 'class-validator';
import { PageQuery } from '../../../../common/pagination/page-query.dto';
import { AccessBasis } from '../../../audit/access-report/access-report';
import { AlertKind, AlertStatus } from '../compliance-alert.entity';

export class AccessReportQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'Records at or after this time (ISO 8601).' })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({ description: 'Records at or before this time (ISO 8601).' })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;
}

export class AccessReportItemResponse {
  @ApiProperty({ example: '2026-03-14T09:30:00.000Z', format: 'date-time' })
  at!: string;

  @ApiProperty({ example: '0b9f6f55-3c84-4d1e-9a56-d7f2c8a1e3b4', type: String, nullable: true })
  actorId!: string | null;

  @ApiProperty({ example: 'doctor', type: String, nullable: true })
  actorRole!: string | null;

  @ApiProperty({
    example: 'patient_profile.read',
    description: 'The audit action (docs/audit.md).',
  })
  action!: string;

  @ApiProperty({
    enum: AccessBasis,
    enumName: 'AccessBasis',
    example: AccessBasis.CareRelationship,
  })
  basis!: AccessBasis;

  @ApiPropertyOptional({
    example: 'webhook_endpoint:5d8e2f14-9c07-4b3a-a6e1-7f0b2c4d9e85',
    description: 'Who received the data, for `disclosure` and `export`.',
  })
  recipient?: string;
}

export class AccessReportResponse {
  @ApiProperty({ type: [AccessReportItemResponse] })
  items!: AccessReportItemResponse[];

  @ApiProperty({ type: String, nullable: true, example: null })
  nextCursor!: string | null;

  @ApiProperty({
    type: [String],
    example: [],
    description:
      'Where every audit record, these included, is also sent (a SIEM collector); empty when none is configured.',
  })
  auditRecordsSentTo!: string[];
}

export class ListAlertsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: AlertStatus, enumName: 'AlertStatus' })
  @IsOptional()
  @IsIn(Object.values(AlertStatus))
  status?: AlertStatus;
}

const trim = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.trim() : value;

export class AcknowledgeAlertRequest {
  @ApiProperty({
    minLength: 1,
    maxLength: 2000,
    example: 'Checked with the ward: a mass-casualty triage; no further action.',
  })
  @Transform(trim)
  @IsString()
  @Length(1, 2000)
  @Matches(/^[^\p{Cc}\p{Cf}\p{Zl}\p{Zp}]*$/u, { message: 'note must be printable text' })
  note!: string;
}

export class AlertResponse {
  @ApiProperty({ format: 'uuid', example: '5d8e2f14-9c07-4b3a-a6e1-7f0b2c4d9e85' })
  id!: string;

  @ApiProperty({ enum: AlertKind, enumName: 'AlertKind', example: AlertKind.RecordReads })
  kind!: AlertKind;

  @ApiProperty({ enum: AlertStatus, enumName: 'AlertStatus', example: AlertStatus.Open })
  status!: AlertStatus;

  @ApiProperty({
    type: String,
    nullable: true,
    format: 'uuid',
    description: 'The account whose actions raised it.',
  })
  userId!: string | null;

  @ApiProperty({ example: 73, description: 'Patients read, refusals, or records exported.' })
  count!: number;

  @ApiProperty({ example: 50 })
  threshold!: number;

  @ApiProperty({ format: 'date-time' })
  windowStart!: string;

  @ApiProperty({ format: 'date-time' })
  windowEnd!: string;

  @ApiProperty({ example: '1042', description: 'The seq of the audit record that raised it.' })
  triggerSeq!: string;

  @ApiProperty({ type: Object, example: { patientId: '…', grantId: '…' } })
  details!: Record<string, unknown>;

  @ApiProperty({ format: 'date-time' })
  raisedAt!: string;

  @ApiProperty({ type: String, nullable: true, format: 'date-time' })
  acknowledgedAt!: string | null;

  @ApiProperty({ type: String, nullable: true, format: 'uuid' })
  acknowledgedBy!: string | null;

  @ApiProperty({ type: String, nullable: true })
  note!: string | null;
}

export class AlertListResponse {
  @ApiProperty({ type: [AlertResponse] })
  items!: AlertResponse[];

  @ApiProperty({ type: String, nullable: true, example: null })
  nextCursor!: string | null;
}

export class ProcessingInventoryQuery {
  @ApiPropertyOptional({ enum: ['json', 'csv'], default: 'json' })
  @IsOptional()
  @IsIn(['json', 'csv'])
  format?: 'json' | 'csv';
}
