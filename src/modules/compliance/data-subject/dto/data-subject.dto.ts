import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsString, Length, Matches } from 'class-validator';
import { ErasureStatus } from '../erasure-request.entity';

export class ErasureRequestResponse {
  @ApiProperty({ example: 'b7a9c1d3-e5f7-4a2b-9c4d-6e8f0a1b2c3d', format: 'uuid' })
  id!: string;

  @ApiProperty({
    example: 'erasure',
    enum: ['erasure'],
    description: 'The kind of data-subject request.',
  })
  type!: 'erasure';

  @ApiProperty({ example: 'a41d9e07-6b3c-4f28-8d15-2c7e9b0f4a61', format: 'uuid' })
  userId!: string;

  @ApiProperty({ example: ErasureStatus.Open, enum: ErasureStatus, enumName: 'ErasureStatus' })
  status!: ErasureStatus;

  @ApiProperty({ example: '2026-03-14T09:30:00.000Z', format: 'date-time' })
  requestedAt!: string;

  @ApiProperty({
    example: '2026-04-13T09:30:00.000Z',
    format: 'date-time',
    description: 'requestedAt + 30 days (KVKK art. 13)',
  })
  dueAt!: string;

  @ApiProperty({ example: null, type: String, nullable: true, format: 'date-time' })
  decidedAt!: string | null;

  @ApiProperty({ example: null, type: String, nullable: true })
  reason!: string | null;
}

export class ErasureRequestListResponse {
  @ApiProperty({ type: [ErasureRequestResponse] })
  items!: ErasureRequestResponse[];

  @ApiProperty({ example: null, type: String, nullable: true })
  nextCursor!: string | null;
}

export class RejectErasureRequest {
  @ApiProperty({
    minLength: 10,
    maxLength: 1000,
    example: 'Records must be kept for 15 years (Regulation on Personal Health Data).',
  })
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @Length(10, 1000)
  @Matches(/^[^\p{Cc}\p{Cf}\p{Zl}\p{Zp}]+$/u, { message: 'reason must be printable text' })
  reason!: string;
}

export class ErasureDecisionResponse extends ErasureRequestResponse {
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'integer' },
    nullable: true,
    description: 'Rows destroyed or anonymized per data-export section (approvals only).',
    example: { patientProfile: 1, deviceSessions: 2 },
  })
  destroyed!: Record<string, number> | null;

  @ApiProperty({
    example: 'c8d0e2f4-a6b8-4c0d-9e1f-3a5b7c9d1e2f',
    type: String,
    nullable: true,
    format: 'uuid',
  })
  destructionRecordId!: string | null;
}

export class DataExportResponse {
  @ApiProperty({ example: '2026-03-14T09:30:00.000Z', format: 'date-time' })
  generatedAt!: string;

  @ApiProperty({ example: 'a41d9e07-6b3c-4f28-8d15-2c7e9b0f4a61', format: 'uuid' })
  userId!: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    example: {
      user: { id: '0b9f6f55-3c84-4d1e-9a56-d7f2c8a1e3b4', email: 'ayse.yilmaz@example.org' },
    },
    description:
      'One key per kind of data (user, patientProfile, deviceSessions, rooms, sessions, calls, consents, audit, …).',
  })
  sections!: Record<string, unknown>;
}
