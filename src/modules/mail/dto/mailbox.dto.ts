import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsEmail, IsInt, IsOptional, Max, MaxLength, Min } from 'class-validator';

export class MailboxQuery {
  @ApiPropertyOptional({ description: 'Only the mails to this address.' })
  @IsOptional()
  @IsEmail()
  @MaxLength(254)
  to?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;
}

export class MailboxEntryResponse {
  @ApiProperty({ format: 'uuid', description: 'The outbox message id.' })
  id!: string;

  @ApiProperty({ example: 'password_reset' })
  kind!: string;

  @ApiProperty()
  to!: string;

  @ApiProperty()
  subject!: string;

  @ApiProperty({ format: 'date-time' })
  date!: string;

  @ApiProperty({ description: 'The plain-text body, links included.' })
  text!: string;
}

// A development aid, not a resource: the list alone (no cursor; the newest `limit` mails).
export class MailboxListResponse {
  @ApiProperty({ type: [MailboxEntryResponse] })
  items!: MailboxEntryResponse[];
}
