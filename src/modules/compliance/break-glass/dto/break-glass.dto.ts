import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Length, Matches, Min } from 'class-validator';
import { PageQuery } from '../../../../common/pagination/page-query.dto';
import { IsId } from '../../../../common/validation/ids';

export const BREAK_GLASS_REASON_MIN = 20;

export enum BreakGlassStatus {
  Active = 'active',
  Ended = 'ended',
  Expired = 'expired',
}

const trim = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.trim() : value;

export class StartBreakGlassRequest {
  @ApiProperty({ format: 'uuid' })
  @IsId()
  patientId!: string;

  @ApiProperty({
    minLength: BREAK_GLASS_REASON_MIN,
    maxLength: 1000,
    example: 'Patient unconscious in the emergency room; need allergies and contact number.',
  })
  @Transform(trim)
  @IsString()
  @Length(BREAK_GLASS_REASON_MIN, 1000, {
    message: `reason must be a written explanation of ${BREAK_GLASS_REASON_MIN} to 1000 characters`,
  })
  // Printable text only: it is shown to compliance officers.
  @Matches(/^[^\p{Cc}\p{Cf}\p{Zl}\p{Zp}]+$/u, { message: 'reason must be printable text' })
  reason!: string;

  @ApiProperty({
    type: 'integer',
    minimum: 1,
    description: 'At most BREAK_GLASS_MAX_MINUTES (default 240).',
    example: 60,
  })
  @IsInt()
  @Min(1)
  durationMinutes!: number;
}

export class ListBreakGlassQuery extends PageQuery {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsId()
  doctorId?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsId()
  patientId?: string;

  @ApiPropertyOptional({ enum: BreakGlassStatus, enumName: 'BreakGlassStatus' })
  @IsOptional()
  @IsIn(Object.values(BreakGlassStatus))
  status?: BreakGlassStatus;
}

export class BreakGlassResponse {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'uuid' })
  doctorId!: string;

  @ApiProperty({ format: 'uuid' })
  patientId!: string;

  @ApiProperty()
  reason!: string;

  @ApiProperty({ enum: BreakGlassStatus, enumName: 'BreakGlassStatus' })
  status!: BreakGlassStatus;

  @ApiProperty({ format: 'date-time' })
  startedAt!: string;

  @ApiProperty({ format: 'date-time' })
  expiresAt!: string;

  @ApiProperty({ type: String, nullable: true, format: 'date-time' })
  endedAt!: string | null;

  @ApiProperty({ type: String, nullable: true, format: 'uuid' })
  endedById!: string | null;
}

export class BreakGlassListResponse {
  @ApiProperty({ type: [BreakGlassResponse] })
  items!: BreakGlassResponse[];

  @ApiProperty({ type: String, nullable: true })
  nextCursor!: string | null;
}
