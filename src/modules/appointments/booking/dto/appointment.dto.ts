import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsDate,
  IsEnum,
  IsOptional,
  IsString,
  MaxLength,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { PageQuery } from '../../../../common/pagination/page-query.dto';
import { IsId } from '../../../../common/validation/ids';
import { OptionalNotNull } from '../../../../common/validation/optional-not-null';
import { InviteeRequest } from '../../invitations/dto/invitation.dto';
import { AppointmentStatus } from '../appointment.entity';

// Shapes of docs/appointments.md, "Appointments".

export class BookAppointmentRequest {
  @ApiProperty({ example: '0b9f6f55-3c84-4d1e-9a56-d7f2c8a1e3b4', format: 'uuid' })
  @IsId()
  clinicianId!: string;

  @ApiPropertyOptional({
    example: 'a41d9e07-6b3c-4f28-8d15-2c7e9b0f4a61',
    format: 'uuid',
    description:
      'The patient. A patient books for themselves and leaves it out (or gives their own id); a doctor or admin gives it, or an invitee instead.',
  })
  @OptionalNotNull()
  @IsId()
  patientId?: string;

  @ApiPropertyOptional({
    type: InviteeRequest,
    description:
      'Instead of patientId (doctors and admins): a patient without an account, who gets a patient invitation link (docs/appointments.md, "Invitations").',
  })
  @OptionalNotNull()
  @ValidateNested()
  @Type(() => InviteeRequest)
  invitee?: InviteeRequest;

  @ApiProperty({ example: '2027-01-04T06:00:00.000Z', format: 'date-time' })
  @Type(() => Date)
  @IsDate()
  start!: Date;

  @ApiProperty({ example: '2027-01-04T06:20:00.000Z', format: 'date-time' })
  @Type(() => Date)
  @IsDate()
  end!: Date;

  @ApiPropertyOptional({
    example: 'Follow-up of the blood test results',
    maxLength: 500,
    description: 'Why the patient comes: health data, shown to the two parties only.',
  })
  @OptionalNotNull()
  @IsString()
  @MaxLength(500)
  reason?: string;
}

export class RescheduleAppointmentRequest {
  @ApiProperty({ example: '2027-01-05T07:00:00.000Z', format: 'date-time' })
  @Type(() => Date)
  @IsDate()
  start!: Date;

  @ApiProperty({ example: '2027-01-05T07:20:00.000Z', format: 'date-time' })
  @Type(() => Date)
  @IsDate()
  end!: Date;
}

export class CancelAppointmentRequest {
  @ApiProperty({ example: 'The patient is travelling that week.', minLength: 3, maxLength: 500 })
  @IsString()
  @MinLength(3)
  @MaxLength(500)
  reason!: string;
}

export class CompleteAppointmentRequest {
  @ApiPropertyOptional({
    example: 'Results normal; next check in six months.',
    maxLength: 2000,
    description: 'The clinician’s closing note: health data, shown to the two parties only.',
  })
  @OptionalNotNull()
  @IsString()
  @MaxLength(2000)
  outcome?: string;
}

export class ListAppointmentsQuery extends PageQuery {
  @ApiPropertyOptional({
    format: 'date-time',
    example: '2027-01-04T00:00:00Z',
    description: 'Only appointments that start at or after this instant.',
  })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  from?: Date;

  @ApiPropertyOptional({
    format: 'date-time',
    example: '2027-01-05T00:00:00Z',
    description: 'Only appointments that start before this instant.',
  })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  to?: Date;

  @ApiPropertyOptional({ enum: AppointmentStatus, example: AppointmentStatus.Booked })
  @IsOptional()
  @IsEnum(AppointmentStatus)
  status?: AppointmentStatus;

  @ApiPropertyOptional({
    format: 'uuid',
    example: '0b9f6f55-3c84-4d1e-9a56-d7f2c8a1e3b4',
    description: 'Only this clinician’s appointments (admins; others see their own anyway).',
  })
  @IsOptional()
  @IsId()
  clinicianId?: string;

  @ApiPropertyOptional({
    format: 'uuid',
    example: 'a41d9e07-6b3c-4f28-8d15-2c7e9b0f4a61',
    description: 'Only this patient’s appointments (a clinician’s day with one patient).',
  })
  @IsOptional()
  @IsId()
  patientId?: string;
}

export class AppointmentResponse {
  @ApiProperty({ example: '5c2e7d1a-9b4f-4e38-a6d0-3f8b1c9e2a75', format: 'uuid' })
  id!: string;

  @ApiProperty({ example: '0b9f6f55-3c84-4d1e-9a56-d7f2c8a1e3b4', format: 'uuid' })
  clinicianId!: string;

  @ApiProperty({ example: 'a41d9e07-6b3c-4f28-8d15-2c7e9b0f4a61', format: 'uuid' })
  patientId!: string;

  @ApiProperty({
    example: '3f6c2a8e-1d4b-4c7a-9e52-8b1f0d7a6c34',
    format: 'uuid',
    description: 'The appointment’s own consultation room, with a waiting room.',
  })
  roomId!: string;

  @ApiProperty({ example: '2027-01-04T06:00:00.000Z', format: 'date-time' })
  start!: string;

  @ApiProperty({ example: '2027-01-04T06:20:00.000Z', format: 'date-time' })
  end!: string;

  @ApiProperty({ enum: AppointmentStatus, example: AppointmentStatus.Booked })
  status!: AppointmentStatus;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'Follow-up of the blood test results',
    description: 'Null for anyone but the patient and the clinician.',
  })
  reason!: string | null;

  @ApiProperty({ type: String, nullable: true, format: 'uuid', example: null })
  bookedBy!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    format: 'date-time',
    example: '2026-12-07T12:00:00.000Z',
    description:
      'When the patient booked or confirmed it; null while a clinician’s booking awaits the patient.',
  })
  confirmedAt!: string | null;

  @ApiProperty({ type: String, nullable: true, format: 'date-time', example: null })
  checkedInAt!: string | null;

  @ApiProperty({ type: String, nullable: true, format: 'date-time', example: null })
  completedAt!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: null,
    description: 'Null for anyone but the patient and the clinician.',
  })
  outcome!: string | null;

  @ApiProperty({ type: String, nullable: true, format: 'date-time', example: null })
  cancelledAt!: string | null;

  @ApiProperty({ type: String, nullable: true, example: null })
  cancelReason!: string | null;

  @ApiProperty({ example: '2026-12-07T12:00:00.000Z', format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ example: '2026-12-07T12:00:00.000Z', format: 'date-time' })
  updatedAt!: string;
}

export class AppointmentListResponse {
  @ApiProperty({ type: [AppointmentResponse] })
  items!: AppointmentResponse[];

  @ApiProperty({ type: String, nullable: true, example: null })
  nextCursor!: string | null;
}
