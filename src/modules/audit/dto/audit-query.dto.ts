import { ApiPropertyOptional, ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsEnum,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { AuditOutcome } from '../audit-action';
import { ExportFormat } from '../export/audit-export-format';
import { IsId } from '../../../common/validation/ids';

export class AuditRangeQuery {
  @ApiPropertyOptional({ description: 'Records at or after this time (ISO 8601).' })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({ description: 'Records at or before this time (ISO 8601).' })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;
}

export class ListAuditEventsQuery extends AuditRangeQuery {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsId({ version: 'all' })
  actorId?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'The person whose data was touched.' })
  @IsOptional()
  @IsId({ version: 'all' })
  subjectId?: string;

  @ApiPropertyOptional({ example: 'auth.login' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  action?: string;

  @ApiPropertyOptional({ enum: AuditOutcome })
  @IsOptional()
  @IsEnum(AuditOutcome)
  outcome?: AuditOutcome;

  @ApiPropertyOptional({ description: 'The nextCursor of the previous page.' })
  @IsOptional()
  @Matches(/^[1-9][0-9]{0,18}$/, { message: 'cursor must be a nextCursor value' })
  cursor?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;
}

export class ExportAuditQuery extends AuditRangeQuery {
  @ApiProperty({ enum: ExportFormat })
  @IsEnum(ExportFormat)
  format!: ExportFormat;
}
