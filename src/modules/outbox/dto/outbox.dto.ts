import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEnum, IsOptional } from 'class-validator';
import { PageQuery } from '../../../common/pagination/page-query.dto';
import { OutboxChannel, OutboxStatus } from '../outbox-message.entity';

export class ListOutboxQuery extends PageQuery {
  @ApiPropertyOptional({ enum: OutboxStatus, description: 'e.g. `dead` for the dead letters.' })
  @IsOptional()
  @IsEnum(OutboxStatus)
  status?: OutboxStatus;

  @ApiPropertyOptional({ enum: OutboxChannel })
  @IsOptional()
  @IsEnum(OutboxChannel)
  channel?: OutboxChannel;
}

// A message as operators see it: where it goes and how delivery went, never its payload.
export class OutboxMessageResponse {
  @ApiProperty({ format: 'uuid', description: 'Also the idempotency key receivers see.' })
  id!: string;

  @ApiProperty({ enum: OutboxChannel })
  channel!: OutboxChannel;

  @ApiProperty({ example: 'password_reset' })
  kind!: string;

  @ApiProperty({
    description: 'E-mail address, phone number, user id (push) or webhook endpoint id.',
  })
  recipient!: string;

  @ApiProperty({ enum: OutboxStatus })
  status!: OutboxStatus;

  @ApiProperty({ description: 'Attempts started so far.' })
  attempts!: number;

  @ApiProperty({ format: 'date-time', description: 'When a pending message is next due.' })
  nextAttemptAt!: string;

  @ApiProperty({
    nullable: true,
    type: String,
    description: 'Short code of the last failure (e.g. `SMTP_550`, `HTTP_503`, `TIMEOUT`).',
  })
  lastError!: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  sentAt!: string | null;

  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  deadAt!: string | null;
}

export class OutboxListResponse {
  @ApiProperty({ type: [OutboxMessageResponse] })
  items!: OutboxMessageResponse[];

  @ApiProperty({ nullable: true, type: String })
  nextCursor!: string | null;
}

export class OutboxMessageEnvelope {
  @ApiProperty({ type: OutboxMessageResponse })
  message!: OutboxMessageResponse;
}
