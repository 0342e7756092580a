import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { PageQuery } from '../../../../common/pagination/page-query.dto';
import {
  ArrayMaxSize,
  IsArray,
  IsDate,
  IsInt,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';

// Shapes of docs/appointments.md, "Availability and slots". The rules that span fields (clock
// format, order, overlaps, the zone) are checked by workingHoursProblem() in the service, so
// that each refusal names the entry at fault.

export class WeeklyHoursDto {
  @ApiProperty({
    type: 'integer',
    minimum: 1,
    maximum: 7,
    example: 1,
    description: 'ISO weekday: Monday = 1 … Sunday = 7.',
  })
  @IsInt()
  @Min(1)
  @Max(7)
  weekday!: number;

  @ApiProperty({
    example: '09:00',
    pattern: '^([01]\\d|2[0-3]):[0-5]\\d$',
    description: 'Local wall-clock time (HH:mm).',
  })
  @IsString()
  @MaxLength(5)
  start!: string;

  @ApiProperty({
    example: '12:30',
    pattern: '^(([01]\\d|2[0-3]):[0-5]\\d|24:00)$',
    description: 'Local wall-clock time (HH:mm, or 24:00 for midnight at the end of the day).',
  })
  @IsString()
  @MaxLength(5)
  end!: string;
}

export class DateExceptionDto {
  @ApiProperty({
    example: '2026-12-31',
    format: 'date',
    description: 'A local date in the clinician’s time zone.',
  })
  @IsString()
  @MaxLength(10)
  date!: string;

  @ApiPropertyOptional({
    example: '10:00',
    description: 'With `end`: that date’s hours replace the week’s. Without both: a day off.',
  })
  @IsOptional()
  @IsString()
  @MaxLength(5)
  start?: string;

  @ApiPropertyOptional({ example: '13:00' })
  @IsOptional()
  @IsString()
  @MaxLength(5)
  end?: string;
}

export class PutAvailabilityRequest {
  @ApiProperty({
    example: 'Europe/Istanbul',
    description: 'IANA time zone the hours are written in.',
    maxLength: 64,
  })
  @IsString()
  @MaxLength(64)
  timezone!: string;

  @ApiProperty({
    type: 'integer',
    minimum: 5,
    maximum: 240,
    example: 20,
    description: 'Length of one appointment slot, in minutes.',
  })
  @IsInt()
  @Min(5)
  @Max(240)
  slotMinutes!: number;

  @ApiProperty({ type: [WeeklyHoursDto], maxItems: 70 })
  @IsArray()
  @ArrayMaxSize(70)
  @ValidateNested({ each: true })
  @Type(() => WeeklyHoursDto)
  weekly!: WeeklyHoursDto[];

  @ApiPropertyOptional({ type: [DateExceptionDto], maxItems: 400, default: [] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(400)
  @ValidateNested({ each: true })
  @Type(() => DateExceptionDto)
  exceptions?: DateExceptionDto[];
}

export class AvailabilityResponse {
  @ApiProperty({ example: '0b9f6f55-3c84-4d1e-9a56-d7f2c8a1e3b4', format: 'uuid' })
  clinicianId!: string;

  @ApiProperty({ example: 'Europe/Istanbul' })
  timezone!: string;

  @ApiProperty({ type: 'integer', example: 20 })
  slotMinutes!: number;

  @ApiProperty({ type: [WeeklyHoursDto] })
  weekly!: WeeklyHoursDto[];

  @ApiProperty({ type: [DateExceptionDto] })
  exceptions!: DateExceptionDto[];

  @ApiProperty({ example: '2026-12-07T08:15:00.000Z', format: 'date-time' })
  updatedAt!: string;
}

export class SlotsQuery {
  @ApiProperty({
    format: 'date-time',
    example: '2026-12-07T00:00:00Z',
    description: 'Start of the window (inclusive).',
  })
  @Type(() => Date)
  @IsDate()
  from!: Date;

  @ApiProperty({
    format: 'date-time',
    example: '2026-12-14T00:00:00Z',
    description: 'End of the window (exclusive); at most 31 days after `from`.',
  })
  @Type(() => Date)
  @IsDate()
  to!: Date;
}

export class SlotResponse {
  @ApiProperty({ example: '2026-12-07T06:00:00.000Z', format: 'date-time' })
  start!: string;

  @ApiProperty({ example: '2026-12-07T06:20:00.000Z', format: 'date-time' })
  end!: string;
}

export class SlotListResponse {
  @ApiProperty({ type: [SlotResponse], description: 'Free slots in the window, sorted by start.' })
  items!: SlotResponse[];

  @ApiProperty({
    type: String,
    nullable: true,
    example: null,
    description: 'Always null: the window bounds the list.',
  })
  nextCursor!: null;
}

export class ClinicianDirectoryQuery extends PageQuery {}

export class ClinicianListing {
  @ApiProperty({ example: '0b9f6f55-3c84-4d1e-9a56-d7f2c8a1e3b4', format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'Dr. Ayşe Demir' })
  displayName!: string;

  @ApiProperty({ example: 'Europe/Istanbul', description: 'The time zone of their hours.' })
  timezone!: string;

  @ApiProperty({ type: 'integer', example: 20 })
  slotMinutes!: number;
}

export class ClinicianDirectoryResponse {
  @ApiProperty({
    type: [ClinicianListing],
    description: 'Active doctors who published working hours, by id.',
  })
  items!: ClinicianListing[];

  @ApiProperty({ type: String, nullable: true, example: null })
  nextCursor!: string | null;
}
