import { OptionalNotNull } from '../../../common/validation/optional-not-null';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsBoolean,
  IsDate,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';
import { MemberRole, MemberStatus, RoomStatus, RoomType } from '../room.entity';
import { PageQuery } from '../../../common/pagination/page-query.dto';
import { IsId } from '../../../common/validation/ids';

// `call` rooms are created by the calls module only, never over this API.
const CREATABLE_TYPES = [RoomType.Consultation, RoomType.Group] as const;

export class CreateRoomRequest {
  @ApiProperty({ example: 'Follow-up: blood test results', maxLength: 120 })
  @IsString()
  @MinLength(1)
  @MaxLength(120)
  name!: string;

  @ApiProperty({ example: RoomType.Consultation, enum: CREATABLE_TYPES })
  @IsIn(CREATABLE_TYPES)
  type!: RoomType;

  @ApiProperty({
    example: ['a41d9e07-6b3c-4f28-8d15-2c7e9b0f4a61'],
    type: [String],
    format: 'uuid',
    maxItems: 49,
  })
  @IsId({ each: true })
  @ArrayUnique()
  @ArrayMaxSize(49)
  memberIds!: string[];

  @ApiPropertyOptional({ example: true, default: false })
  @IsOptional()
  @IsBoolean()
  waitingRoom?: boolean;

  @ApiPropertyOptional({ type: 'integer', minimum: 2, maximum: 50, default: 2, example: 2 })
  @IsOptional()
  @IsInt()
  @Min(2)
  @Max(50)
  maxParticipants?: number;

  @ApiPropertyOptional({ example: '2026-03-14T09:30:00.000Z', format: 'date-time' })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  scheduledFor?: Date;
}

export class UpdateRoomRequest {
  @ApiPropertyOptional({ example: 'Follow-up: blood test results', maxLength: 120 })
  @OptionalNotNull()
  @IsString()
  @MinLength(1)
  @MaxLength(120)
  name?: string;

  @ApiPropertyOptional({ example: false })
  @OptionalNotNull()
  @IsBoolean()
  waitingRoom?: boolean;

  @ApiPropertyOptional({ example: 2, type: 'integer', minimum: 2, maximum: 50 })
  @OptionalNotNull()
  @IsInt()
  @Min(2)
  @Max(50)
  maxParticipants?: number;

  @ApiPropertyOptional({ example: '2026-03-14T09:30:00.000Z', format: 'date-time', nullable: true })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  scheduledFor?: Date;
}

export class AddMemberRequest {
  @ApiProperty({ example: 'a41d9e07-6b3c-4f28-8d15-2c7e9b0f4a61', format: 'uuid' })
  @IsId()
  userId!: string;

  @ApiProperty({ example: MemberRole.Participant, enum: [MemberRole.Participant] })
  @IsIn([MemberRole.Participant])
  role!: MemberRole;
}

export class ListRoomsQuery extends PageQuery {}

export class RoomMemberResponse {
  @ApiProperty({ example: 'a41d9e07-6b3c-4f28-8d15-2c7e9b0f4a61', format: 'uuid' })
  userId!: string;

  @ApiProperty({ example: MemberRole.Participant, enum: MemberRole })
  role!: MemberRole;

  @ApiProperty({
    example: MemberStatus.Invited,
    enum: MemberStatus,
    description:
      'A patient added by a clinician is `invited` until they accept (POST /rooms/{id}/accept); everyone else is `active`.',
  })
  status!: MemberStatus;
}

export class RoomResponse {
  @ApiProperty({ example: '3f6c2a8e-1d4b-4c7a-9e52-8b1f0d7a6c34', format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'Follow-up: blood test results' })
  name!: string;

  @ApiProperty({ example: RoomType.Consultation, enum: RoomType })
  type!: RoomType;

  @ApiProperty({ example: '0b9f6f55-3c84-4d1e-9a56-d7f2c8a1e3b4', format: 'uuid' })
  hostId!: string;

  @ApiProperty({ example: RoomStatus.Open, enum: RoomStatus })
  status!: RoomStatus;

  @ApiProperty({ example: true })
  waitingRoom!: boolean;

  @ApiProperty({ type: 'integer', example: 2 })
  maxParticipants!: number;

  @ApiProperty({
    example: '2026-03-14T09:30:00.000Z',
    format: 'date-time',
    nullable: true,
    type: String,
  })
  scheduledFor!: string | null;

  @ApiProperty({ type: [RoomMemberResponse] })
  members!: RoomMemberResponse[];

  @ApiProperty({ example: '2026-03-14T09:30:00.000Z', format: 'date-time' })
  createdAt!: string;
}

export class RoomListResponse {
  @ApiProperty({ type: [RoomResponse] })
  items!: RoomResponse[];

  @ApiProperty({ example: null, nullable: true, type: String })
  nextCursor!: string | null;
}
