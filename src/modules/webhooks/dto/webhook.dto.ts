import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsOptional,
  IsString,
  IsUrl,
  Length,
  MaxLength,
  Validate,
  ValidatorConstraint,
  type ValidatorConstraintInterface,
} from 'class-validator';
import { WEBHOOK_EVENTS, isEventPattern } from '../webhook-events';

@ValidatorConstraint({ name: 'webhookEvent' })
class EventPatternConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return typeof value === 'string' && isEventPattern(value);
  }

  defaultMessage(): string {
    return 'each event must be a known event, a known `prefix.*` or `*` (docs/notifications.md)';
  }
}

const trim = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.trim() : value;

export class CreateWebhookRequest {
  @ApiProperty({
    example: 'https://ehr.example.org/hekim/webhooks',
    description:
      'https:// (http:// allowed outside production). Loopback, link-local and private addresses are refused unless WEBHOOK_ALLOW_PRIVATE_TARGETS.',
  })
  @Transform(trim)
  @IsString()
  @MaxLength(2048)
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false })
  url!: string;

  @ApiProperty({
    example: ['session.*', 'call.ended', 'consent.*'],
    description: `Event types or \`prefix.*\` patterns (or \`*\`). Known events: ${WEBHOOK_EVENTS.join(', ')}.`,
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(50)
  @ArrayUnique()
  @Validate(EventPatternConstraint, { each: true })
  events!: string[];

  @ApiPropertyOptional({ maxLength: 500 })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @Length(1, 500)
  description?: string;
}

export class WebhookCreatedResponse {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    description: 'The signing secret (Standard Webhooks). Shown once: store it now.',
  })
  secret!: string;

  @ApiProperty()
  url!: string;

  @ApiProperty({ type: [String] })
  events!: string[];
}

export class WebhookResponse {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty()
  url!: string;

  @ApiProperty({ type: [String] })
  events!: string[];

  @ApiProperty({ nullable: true, type: String })
  description!: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
}

export class WebhookListResponse {
  @ApiProperty({ type: [WebhookResponse] })
  items!: WebhookResponse[];

  @ApiProperty({ nullable: true, type: String })
  nextCursor!: string | null;
}

export class WebhookDeliveryResponse {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({
    example: 'msg_2b4e6d2f0c1a4f0e9d3b7a1c5e8f2d6a',
    description: 'The `webhook-id` it is sent with (every attempt and replay).',
  })
  webhookId!: string;

  @ApiProperty({ example: 'call.ended' })
  eventType!: string;

  @ApiProperty({ enum: ['pending', 'delivered', 'failed'] })
  status!: string;

  @ApiProperty()
  attempts!: number;

  @ApiProperty({ nullable: true, type: Number, description: 'HTTP status of the last answer.' })
  responseStatus!: number | null;

  @ApiProperty({
    nullable: true,
    type: String,
    description: 'e.g. `HTTP_503`, `TIMEOUT`, `FORBIDDEN_TARGET`.',
  })
  lastError!: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  lastAttemptAt!: string | null;

  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  deliveredAt!: string | null;
}

export class WebhookDeliveryListResponse {
  @ApiProperty({ type: [WebhookDeliveryResponse] })
  items!: WebhookDeliveryResponse[];

  @ApiProperty({ nullable: true, type: String })
  nextCursor!: string | null;
}

export class WebhookDeliveryEnvelope {
  @ApiProperty({ type: WebhookDeliveryResponse })
  delivery!: WebhookDeliveryResponse;
}
