import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsString, MaxLength } from 'class-validator';
import { IsId } from '../../../../common/validation/ids';
import { OptionalNotNull } from '../../../../common/validation/optional-not-null';

export class PrecheckResponse {
  @ApiProperty({ example: true, description: 'Camera, microphone and connection all passed.' })
  passed!: boolean;

  @ApiProperty({ example: '2027-01-04T05:53:10.000Z', format: 'date-time' })
  at!: string;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'camera ok; microphone ok; 2.1 Mbit/s up',
    description: 'What the device reported, as it reported it.',
  })
  details!: string | null;
}

export class QueueEntryResponse {
  @ApiProperty({ type: 'integer', example: 1, description: '1 is next.' })
  position!: number;

  @ApiProperty({ example: '5c2e7d1a-9b4f-4e38-a6d0-3f8b1c9e2a75', format: 'uuid' })
  appointmentId!: string;

  @ApiProperty({ example: '3f6c2a8e-1d4b-4c7a-9e52-8b1f0d7a6c34', format: 'uuid' })
  roomId!: string;

  @ApiProperty({ example: 'a41d9e07-6b3c-4f28-8d15-2c7e9b0f4a61', format: 'uuid' })
  patientId!: string;

  @ApiProperty({ example: 'Elif Yılmaz' })
  displayName!: string;

  @ApiProperty({ example: '2027-01-04T06:00:00.000Z', format: 'date-time' })
  start!: string;

  @ApiProperty({ example: '2027-01-04T05:52:00.000Z', format: 'date-time' })
  checkedInAt!: string;

  @ApiProperty({ type: 'integer', example: 480, description: 'Seconds since check-in.' })
  waitedSeconds!: number;

  @ApiProperty({
    type: 'integer',
    example: 12,
    description: 'Minutes until their turn, from the clinician’s recent consultation lengths.',
  })
  estimatedWaitMinutes!: number;

  @ApiProperty({
    example: true,
    description:
      'Knocking at the appointment room’s waiting room now (connected); `queue:next` admits only such people.',
  })
  waiting!: boolean;

  @ApiProperty({
    type: PrecheckResponse,
    nullable: true,
    description: 'The last pre-call check the patient’s device reported; null before any.',
  })
  precheck!: PrecheckResponse | null;
}

export class QueueResponse {
  @ApiProperty({ type: [QueueEntryResponse], description: 'In queue order.' })
  items!: QueueEntryResponse[];

  @ApiProperty({
    type: String,
    nullable: true,
    example: null,
    description: 'Always null: the queue is one page.',
  })
  nextCursor!: null;
}

export class TransferAppointmentRequest {
  @ApiProperty({
    example: '0b9f6f55-3c84-4d1e-9a56-d7f2c8a1e3b4',
    format: 'uuid',
    description: 'The doctor whose diary and queue the appointment moves to.',
  })
  @IsId()
  clinicianId!: string;
}

export class PrecheckRequest {
  @ApiProperty({ example: true, description: 'Whether the device’s pre-call check passed.' })
  @IsBoolean()
  passed!: boolean;

  @ApiPropertyOptional({
    example: 'camera ok; microphone ok; 2.1 Mbit/s up',
    maxLength: 500,
    description: 'A short technical note for the clinician (no health data).',
  })
  @OptionalNotNull()
  @IsString()
  @MaxLength(500)
  details?: string;
}

export class AdmittedResponse {
  @ApiProperty({ example: '5c2e7d1a-9b4f-4e38-a6d0-3f8b1c9e2a75', format: 'uuid' })
  appointmentId!: string;

  @ApiProperty({ example: '3f6c2a8e-1d4b-4c7a-9e52-8b1f0d7a6c34', format: 'uuid' })
  roomId!: string;

  @ApiProperty({ example: 'a41d9e07-6b3c-4f28-8d15-2c7e9b0f4a61', format: 'uuid' })
  userId!: string;

  @ApiProperty({ example: 'Elif Yılmaz' })
  displayName!: string;
}
