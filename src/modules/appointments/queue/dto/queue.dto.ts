import { ApiProperty } from '@nestjs/swagger';

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
