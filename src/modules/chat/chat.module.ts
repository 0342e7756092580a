import { Module } from '@nestjs/common';
import { MulterModule } from '@nestjs/platform-express';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../../config/app-config';
import { RoomsModule } from '../rooms/rooms.module';
import { SessionsModule } from '../sessions/sessions.module';
import { UsersModule } from '../users/users.module';
import { AttachmentsService } from './attachments/attachments.service';
import { ChatAccess } from './chat-access';
import { ChatEvents } from './chat-events';
import { ChatKeys } from './chat-keys';
import { ChatMetrics } from './chat.metrics';
import { ChatPersonalData } from './chat-personal-data';
import { ChatRateLimit } from './chat-rate-limit';
import { ChatController } from './chat.controller';
import {
  ChatAttachmentEntity,
  ChatMessageEntity,
  ChatReadEntity,
  ChatRoomEntity,
} from './chat.entity';
import { ChatRepository } from './chat.repository';
import { ChatService } from './chat.service';

// Consultation chat and files (docs/chat.md). The signaling edge delivers its events.
@Module({
  imports: [
    TypeOrmModule.forFeature([
      ChatRoomEntity,
      ChatMessageEntity,
      ChatAttachmentEntity,
      ChatReadEntity,
    ]),
    // One file per upload, held in memory (multer's default without a destination) up to ATTACHMENT_MAX_BYTES (then 413) and judged
    // there before anything is stored; no other multipart field is accepted.
    MulterModule.registerAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        limits: { fileSize: config.chat.attachmentMaxBytes, files: 1, fields: 0, parts: 1 },
      }),
    }),
    RoomsModule,
    SessionsModule,
    UsersModule,
  ],
  controllers: [ChatController],
  providers: [
    ChatMetrics,
    ChatRepository,
    ChatAccess,
    ChatService,
    ChatEvents,
    ChatKeys,
    ChatRateLimit,
    AttachmentsService,
    ChatPersonalData,
  ],
  exports: [ChatService, ChatEvents],
})
export class ChatModule {}
