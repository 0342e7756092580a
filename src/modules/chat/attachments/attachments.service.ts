import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { auditActor, type AuthUser } from '../../../common/auth/auth-user';
import { AppException } from '../../../common/errors/app.exception';
import type { RequestMeta } from '../../../common/http/request-meta';
import { AppConfig } from '../../../config/app-config';
import { AuditAction, AuditOutcome } from '../../audit/audit-action';
import { AuditService } from '../../audit/audit.service';
import { RoomStatus } from '../../rooms/room.entity';
import { PatientProfileService } from '../../users/patient-profile/patient-profile.service';
import { ChatAccess } from '../chat-access';
import { ChatCipher } from '../chat-cipher';
import { ChatAttachmentEntity } from '../chat.entity';
import { ChatErrors } from '../chat.errors';
import { ChatRepository } from '../chat.repository';
import { ChatService } from '../chat.service';
import type { ChatAttachmentSummary } from '../dto/chat.dto';
import { DEFAULT_MAX_PIXELS, inspectFile, safeFileName } from './file-inspector';

export interface UploadedFile {
  buffer: Buffer;
  originalname?: string;
}

export interface Download {
  name: string;
  contentType: string;
  bytes: Buffer;
}

// Files of a room's chat (docs/chat.md, "Files"): judged by content, stripped of metadata,
// sealed under the subject's data key, stored in PostgreSQL; then sent with a `chat:send`
// carrying their id. Every download is audited with its basis, every refusal too.
@Injectable()
export class AttachmentsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly repo: ChatRepository,
    private readonly access: ChatAccess,
    private readonly chat: ChatService,
    private readonly keys: PatientProfileService,
    private readonly audit: AuditService,
    private readonly config: AppConfig,
  ) {}

  async upload(
    actor: AuthUser,
    roomId: string,
    file: UploadedFile | undefined,
    meta: RequestMeta,
  ): Promise<ChatAttachmentSummary> {
    // Membership first: a stranger learns nothing from how their file is judged.
    const standing = await this.access.standing(actor, roomId, this.dataSource.manager);
    if (standing.room.status !== RoomStatus.Open) throw ChatErrors.closed();
    if (!file) throw ChatErrors.noFile();
    const inspected = await inspectFile(file.buffer, {
      maxBytes: this.config.chat.attachmentMaxBytes,
      maxPixels: DEFAULT_MAX_PIXELS,
    });
    const name = safeFileName(file.originalname, inspected.extension);
    return this.dataSource.transaction(async (m) => {
      const room = await this.repo.lockRoom(roomId, m);
      await this.access.standing(actor, roomId, m);
      const subjectId = await this.chat.subjectFor(actor, room, m);
      const key = await this.keys.dataKeyForWrite(subjectId, m);
      const id = randomUUID();
      await this.repo.insertAttachment(
        Object.assign(new ChatAttachmentEntity(), {
          id,
          roomId,
          uploaderId: actor.id,
          subjectId,
          messageId: null,
          contentType: inspected.contentType,
          sizeBytes: inspected.bytes.length,
          nameSealed: ChatCipher.sealName(key, id, subjectId, name),
          content: ChatCipher.sealFile(key, id, subjectId, inspected.bytes),
          erasedAt: null,
        }),
        m,
      );
      await this.audit.record(
        {
          action: AuditAction.ChatAttachmentUpload,
          outcome: AuditOutcome.Success,
          actor: auditActor(actor, meta),
          resource: { type: 'chat_attachment', id },
          subjectId,
          requestId: meta.requestId,
          details: {
            roomId,
            contentType: inspected.contentType,
            sizeBytes: inspected.bytes.length,
          },
        },
        m,
      );
      return { id, name, contentType: inspected.contentType, sizeBytes: inspected.bytes.length };
    });
  }

  // A member of the file's room (its uploader alone until it is sent) gets its bytes; anyone
  // else gets 404 and a `denied` record. An erased file is gone (404).
  async download(actor: AuthUser, id: string, meta: RequestMeta): Promise<Download> {
    return this.dataSource.transaction(async (m) => {
      const file = await this.repo.findAttachment(id, m);
      const refuse = async (reason: string): Promise<never> => {
        // Its own transaction: the refusal's record must outlive this one's rollback.
        await this.audit.record({
          action: AuditAction.ChatAttachmentDownload,
          outcome: AuditOutcome.Denied,
          actor: auditActor(actor, meta),
          resource: { type: 'chat_attachment', id },
          requestId: meta.requestId,
          details: { reason },
        });
        throw AppException.notFound('The attachment');
      };
      if (!file) return refuse('not_found');
      try {
        await this.access.standing(actor, file.roomId, m);
      } catch (err) {
        if (err instanceof AppException) return refuse('not_a_participant');
        throw err;
      }
      if (file.messageId === null && file.uploaderId !== actor.id) return refuse('not_sent');
      const key = await this.keys.dataKey(file.subjectId, m);
      if (!key || file.content === null || file.nameSealed === null || file.erasedAt)
        return refuse('erased');
      const bytes = ChatCipher.openFile(key, file.id, file.subjectId, file.content);
      const name = ChatCipher.openName(key, file.id, file.subjectId, file.nameSealed);
      await this.audit.record(
        {
          action: AuditAction.ChatAttachmentDownload,
          outcome: AuditOutcome.Success,
          actor: auditActor(actor, meta),
          resource: { type: 'chat_attachment', id },
          subjectId: file.subjectId,
          requestId: meta.requestId,
          details: {
            roomId: file.roomId,
            contentType: file.contentType,
            basis:
              file.subjectId === actor.id || file.uploaderId === actor.id ? 'self' : 'room_member',
          },
        },
        m,
      );
      return { name, contentType: file.contentType, bytes };
    });
  }
}
