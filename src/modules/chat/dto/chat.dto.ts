import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { PageQuery } from '../../../common/pagination/page-query.dto';
import { IsId } from '../../../common/validation/ids';

// The hard ceiling of a text in a payload; CHAT_MAX_TEXT_LENGTH (characters) is checked
// after normalisation, and refused with its own reason.
export const MAX_TEXT_PAYLOAD = 80_000;

// `chat:send` (docs/signaling.md, "Chat").
export class SendMessagePayload {
  @IsId()
  roomId!: string;

  @IsOptional()
  @IsString()
  @MaxLength(MAX_TEXT_PAYLOAD)
  text?: string;

  @IsOptional()
  @IsId()
  attachmentId?: string;

  // Chosen by the client for each new message, kept for its resends.
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, {
    message: 'clientId must be 1 to 64 letters, digits, "-" or "_"',
  })
  clientId!: string;
}

// `chat:typing`.
export class TypingPayload {
  @IsId()
  roomId!: string;
}

// `chat:read`.
export class ReadPayload {
  @IsId()
  roomId!: string;

  @IsId()
  messageId!: string;
}

export class ListMessagesQuery extends PageQuery {}

export class ChatAttachmentSummary {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'lab-report.pdf' })
  name!: string;

  @ApiProperty({ enum: ['image/jpeg', 'image/png', 'application/pdf'] })
  contentType!: string;

  @ApiProperty({ type: 'integer' })
  sizeBytes!: number;
}

export class ChatMessageResponse {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'uuid' })
  roomId!: string;

  @ApiProperty({
    type: 'integer',
    description: 'Position in the room: 1, 2, 3… Clients order by it.',
  })
  seq!: number;

  @ApiProperty({ format: 'uuid' })
  senderId!: string;

  @ApiProperty()
  clientId!: string;

  @ApiProperty({
    type: 'string',
    nullable: true,
    description: 'Plain text; render it as text, never as HTML. Null when erased or absent.',
  })
  text!: string | null;

  @ApiProperty({ type: ChatAttachmentSummary, nullable: true })
  attachment!: ChatAttachmentSummary | null;

  @ApiProperty({ description: 'True when erasure or a lost key made the content unreadable.' })
  erased!: boolean;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
}

export class ChatMessageListResponse {
  @ApiProperty({ type: [ChatMessageResponse], description: 'Newest first.' })
  items!: ChatMessageResponse[];

  @ApiProperty({ type: 'string', nullable: true })
  nextCursor!: string | null;
}

export class ChatReadReceipt {
  @ApiProperty({ format: 'uuid' })
  userId!: string;

  @ApiProperty({ format: 'uuid' })
  messageId!: string;

  @ApiProperty({ type: 'integer' })
  seq!: number;

  @ApiProperty({ format: 'date-time' })
  readAt!: string;
}

export class ChatRoomSettings {
  @ApiProperty({ format: 'uuid' })
  roomId!: string;

  @ApiProperty({
    description: 'People in the waiting room (not yet admitted) may read and write.',
  })
  waitingMayChat!: boolean;

  @ApiProperty({ type: [ChatReadReceipt] })
  reads!: ChatReadReceipt[];
}

export class UpdateChatSettingsRequest {
  @ApiPropertyOptional()
  @IsBoolean()
  waitingMayChat!: boolean;
}
