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
  @ApiProperty({ example: 'a41d9e07-6b3c-4f28-8d15-2c7e9b0f4a61', format: 'uuid' })
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
  @ApiProperty({ example: '5d8e2f14-9c07-4b3a-a6e1-7f0b2c4d9e85', format: 'uuid' })
  id!: string;

  @ApiProperty({ example: '0b9f6f55-3c84-4d1e-9a56-d7f2c8a1e3b4', format: 'uuid' })
  doctorId!: string;

  @ApiProperty({ example: 'a41d9e07-6b3c-4f28-8d15-2c7e9b0f4a61', format: 'uuid' })
  patientId!: string;

  @ApiProperty({
    example: 'Unconscious patient in the emergency room; allergies needed before treatment.',
  })
  reason!: string;

  @ApiProperty({
    example: BreakGlassStatus.Active,
    enum: BreakGlassStatus,
    enumName: 'BreakGlassStatus',
  })
  status!: BreakGlassStatus;

  @ApiProperty({ example: '2026-03-14T09:30:00.000Z', format: 'date-time' })
  startedAt!: string;

  @ApiProperty({ example: '2026-03-14T10:30:00.000Z', format: 'date-time' })
  expiresAt!: string;

  @ApiProperty({ example: null, type: String, nullable: true, format: 'date-time' })
  endedAt!: string | null;

  @ApiProperty({ example: null, type: String, nullable: true, format: 'uuid' })
  endedById!: string | null;
}

export class BreakGlassListResponse {
  @ApiProperty({ type: [BreakGlassResponse] })
  items!: BreakGlassResponse[];

  @ApiProperty({ example: null, type: String, nullable: true })
  nextCursor!: string | null;
}
