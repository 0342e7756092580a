import { LEGACY_ENVELOPE_NOTE } from '../../../common/http/legacy-envelope';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsDate,
  IsIn,
  IsNumber,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';
import { MAX_SDP_LENGTH } from '../../../common/validation/webrtc-limits';
import type { CallStatus, CallType, EndReason, ParticipantState } from '../call-state-machine';
import { PageQuery } from '../../../common/pagination/page-query.dto';
import { IsId } from '../../../common/validation/ids';

const CALL_TYPES: CallType[] = ['audio', 'video'];
const CALL_STATUSES: CallStatus[] = [
  'ringing',
  'active',
  'ended',
  'rejected',
  'missed',
  'cancelled',
];
const PARTICIPANT_STATES: ParticipantState[] = ['ringing', 'joined', 'declined', 'left', 'missed'];
const END_REASONS: EndReason[] = ['completed', 'rejected', 'missed', 'cancelled', 'failed'];
// A call's room holds at most 50 people (rooms_max_participants_check). This is the hard
// bound of the payload; the configured CALL_MAX_CALLEES (default 7) is checked by the service.
export const CALLEES_HARD_LIMIT = 49;

export class InitiateCallRequest {
  @ApiProperty({
    example: ['a41d9e07-6b3c-4f28-8d15-2c7e9b0f4a61'],
    type: [String],
    format: 'uuid',
    minItems: 1,
    maxItems: CALLEES_HARD_LIMIT,
    description: 'At most CALL_MAX_CALLEES (default 7).',
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(CALLEES_HARD_LIMIT)
  @ArrayUnique()
  @IsId({ each: true })
  calleeIds!: string[];

  @ApiProperty({ example: 'video', enum: CALL_TYPES })
  @IsIn(CALL_TYPES)
  type!: CallType;
}

// `call:initiate` also takes the caller's SDP offer, handed to every callee device.
export class InitiateCallPayload extends InitiateCallRequest {
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_SDP_LENGTH)
  sdp?: string;
}

export class CallIdPayload {
  @IsId()
  callId!: string;
}

export class AcceptCallPayload extends CallIdPayload {
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_SDP_LENGTH)
  sdp?: string;
}

export class CallStatsPayload extends CallIdPayload {
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(60_000)
  rttMs?: number;

  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(60_000)
  jitterMs?: number;

  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(100)
  packetLossPct?: number;

  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1_000_000)
  bitrateKbps?: number;
}

export class ListCallsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: CALL_STATUSES })
  @IsOptional()
  @IsIn(CALL_STATUSES)
  status?: CallStatus;

  @ApiPropertyOptional({ enum: CALL_TYPES })
  @IsOptional()
  @IsIn(CALL_TYPES)
  type?: CallType;

  @ApiPropertyOptional({ format: 'date-time', description: 'placed at or after' })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  from?: Date;

  @ApiPropertyOptional({ format: 'date-time', description: 'placed before' })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  to?: Date;
}

export class CallParticipantResponse {
  @ApiProperty({ example: 'a41d9e07-6b3c-4f28-8d15-2c7e9b0f4a61', format: 'uuid' })
  userId!: string;

  @ApiProperty({ example: 'joined', enum: PARTICIPANT_STATES })
  state!: ParticipantState;

  @ApiProperty({
    example: '2026-03-14T09:30:00.000Z',
    format: 'date-time',
    nullable: true,
    type: String,
  })
  joinedAt!: string | null;

  @ApiProperty({
    example: '2026-03-14T09:51:00.000Z',
    format: 'date-time',
    nullable: true,
    type: String,
  })
  leftAt!: string | null;
}

export class MetricSummaryResponse {
  @ApiProperty({ example: 38 })
  min!: number;

  @ApiProperty({ example: 52.5 })
  avg!: number;

  @ApiProperty({ example: 97 })
  max!: number;
}

export class CallQualityResponse {
  @ApiProperty({
    example: 12,
    type: 'integer',
    description: 'Number of `call:stats` reports received.',
  })
  reports!: number;

  @ApiPropertyOptional({ type: MetricSummaryResponse })
  rttMs?: MetricSummaryResponse;

  @ApiPropertyOptional({ type: MetricSummaryResponse })
  jitterMs?: MetricSummaryResponse;

  @ApiPropertyOptional({ type: MetricSummaryResponse })
  packetLossPct?: MetricSummaryResponse;

  @ApiPropertyOptional({ type: MetricSummaryResponse })
  bitrateKbps?: MetricSummaryResponse;
}

export class CallResponse {
  @ApiProperty({ example: '9e4b7d21-5a0c-4f83-b6e9-1d2c3a4b5f60', format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'video', enum: CALL_TYPES })
  type!: CallType;

  @ApiProperty({ example: 'ended', enum: CALL_STATUSES })
  status!: CallStatus;

  @ApiProperty({ example: '0b9f6f55-3c84-4d1e-9a56-d7f2c8a1e3b4', format: 'uuid' })
  callerId!: string;

  @ApiProperty({
    example: '3f6c2a8e-1d4b-4c7a-9e52-8b1f0d7a6c34',
    format: 'uuid',
    description: 'The call’s own room (type `call`).',
  })
  roomId!: string;

  @ApiProperty({ type: [CallParticipantResponse], description: 'The caller comes first.' })
  participants!: CallParticipantResponse[];

  @ApiProperty({ example: '2026-03-14T09:30:00.000Z', format: 'date-time' })
  createdAt!: string;

  @ApiProperty({
    example: '2026-03-14T09:30:00.000Z',
    format: 'date-time',
    nullable: true,
    type: String,
    description: 'When answered',
  })
  startedAt!: string | null;

  @ApiProperty({
    example: '2026-03-14T09:51:00.000Z',
    format: 'date-time',
    nullable: true,
    type: String,
  })
  endedAt!: string | null;

  @ApiProperty({
    example: 1260,
    nullable: true,
    type: 'integer',
    description:
      'Seconds from the answer to the end (or now while active); null if never answered.',
  })
  durationSeconds!: number | null;

  @ApiProperty({ example: 'completed', enum: END_REASONS, nullable: true })
  endReason!: EndReason | null;

  @ApiProperty({ type: CallQualityResponse, nullable: true })
  quality!: CallQualityResponse | null;
}

// The call itself, with the deprecated `call` wrapper of the earlier answers.
export class CallAnswer extends CallResponse {
  @ApiProperty({ type: () => CallResponse, deprecated: true, description: LEGACY_ENVELOPE_NOTE })
  call!: CallResponse;
}

export class CallListResponse {
  @ApiProperty({ type: [CallResponse] })
  items!: CallResponse[];

  @ApiProperty({ example: null, nullable: true, type: String })
  nextCursor!: string | null;
}
