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
  @ApiProperty({ maxLength: 120 })
  @IsString()
  @MinLength(1)
  @MaxLength(120)
  name!: string;

  @ApiProperty({ enum: CREATABLE_TYPES })
  @IsIn(CREATABLE_TYPES)
  type!: RoomType;

  @ApiProperty({ type: [String], format: 'uuid', maxItems: 49 })
  @IsId({ each: true })
  @ArrayUnique()
  @ArrayMaxSize(49)
  memberIds!: string[];

  @ApiPropertyOptional({ default: false })
  @IsOptional()
  @IsBoolean()
  waitingRoom?: boolean;

  @ApiPropertyOptional({ type: 'integer', minimum: 2, maximum: 50, default: 2 })
  @IsOptional()
  @IsInt()
  @Min(2)
  @Max(50)
  maxParticipants?: number;

  @ApiPropertyOptional({ format: 'date-time' })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  scheduledFor?: Date;
}

export class UpdateRoomRequest {
  @ApiPropertyOptional({ maxLength: 120 })
  @OptionalNotNull()
  @IsString()
  @MinLength(1)
  @MaxLength(120)
  name?: string;

  @ApiPropertyOptional()
  @OptionalNotNull()
  @IsBoolean()
  waitingRoom?: boolean;

  @ApiPropertyOptional({ type: 'integer', minimum: 2, maximum: 50 })
  @OptionalNotNull()
  @IsInt()
  @Min(2)
  @Max(50)
  maxParticipants?: number;

  @ApiPropertyOptional({ format: 'date-time', nullable: true })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  scheduledFor?: Date;
}

export class AddMemberRequest {
  @ApiProperty({ format: 'uuid' })
  @IsId()
  userId!: string;

  @ApiProperty({ enum: [MemberRole.Participant] })
  @IsIn([MemberRole.Participant])
  role!: MemberRole;
}

export class ListRoomsQuery extends PageQuery {}

export class RoomMemberResponse {
  @ApiProperty({ format: 'uuid' })
  userId!: string;

  @ApiProperty({ enum: MemberRole })
  role!: MemberRole;

  @ApiProperty({
    enum: MemberStatus,
    description:
      'A patient added by a clinician is `invited` until they accept (POST /rooms/{id}/accept); everyone else is `active`.',
  })
  status!: MemberStatus;
}

export class RoomResponse {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty()
  name!: string;

  @ApiProperty({ enum: RoomType })
  type!: RoomType;

  @ApiProperty({ format: 'uuid' })
  hostId!: string;

  @ApiProperty({ enum: RoomStatus })
  status!: RoomStatus;

  @ApiProperty()
  waitingRoom!: boolean;

  @ApiProperty({ type: 'integer', example: 2 })
  maxParticipants!: number;

  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  scheduledFor!: string | null;

  @ApiProperty({ type: [RoomMemberResponse] })
  members!: RoomMemberResponse[];

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
}

export class RoomListResponse {
  @ApiProperty({ type: [RoomResponse] })
  items!: RoomResponse[];

  @ApiProperty({ nullable: true, type: String })
  nextCursor!: string | null;
}
