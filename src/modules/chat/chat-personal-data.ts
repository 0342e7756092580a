import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  PersonalDataContributor,
  type PersonalDataSubject,
} from '../../common/personal-data/personal-data.contributor';
import {
  COMMON_MEASURES,
  DataCategory,
  DataSubjectGroup,
  LegalBasis,
  type ProcessingDeclaration,
} from '../../common/personal-data/processing';
import { PatientProfileService } from '../users/patient-profile/patient-profile.service';
import { attachmentSummary, memoKeys, toMessageResponse } from './chat.mapper';
import { ChatKeys } from './chat-keys';
import { ChatRepository } from './chat.repository';

// The chat's part of the data export and erasure (section `chat`): the messages the person
// wrote or that are sealed under their key, the files likewise (names and sizes; the bytes are
// downloaded with GET /attachments/:id), their read receipts. Erasure clears the ciphertexts
// and marks the rows erased; the shredding of the person's data key (users module) makes any
// copy of them, in a backup say, unreadable too.
@Injectable()
export class ChatPersonalData extends PersonalDataContributor {
  readonly section = 'chat';
  readonly tables = ['chat_messages', 'chat_attachments', 'chat_reads', 'chat_rooms'];
  readonly processing: ProcessingDeclaration = {
    dataCategories: [DataCategory.Health, DataCategory.Communication],
    dataSubjects: [
      DataSubjectGroup.Patients,
      DataSubjectGroup.Clinicians,
      DataSubjectGroup.Invitees,
    ],
    purposes: ['talking and sharing files during a consultation and while waiting for it'],
    legalBases: [LegalBasis.HealthCare],
    retention:
      'RETENTION_MESSAGES_DAYS after they were written; unreadable once the patient is erased',
    internalRecipients: ["the room's members"],
    processors: [],
    securityMeasures: [
      ...COMMON_MEASURES,
      "text and files encrypted under the patient's data key",
      'image metadata stripped; files recognized by content',
    ],
  };

  constructor(
    private readonly repo: ChatRepository,
    private readonly keys: PatientProfileService,
    private readonly sealing: ChatKeys,
  ) {
    super();
  }

  async exportFor(subject: PersonalDataSubject, m: EntityManager): Promise<unknown> {
    const keyOf = memoKeys((s) => this.keys.dataKey(s, m));
    const files = await this.repo.attachmentsAbout(subject.id, m);
    const byId = new Map(files.map((f) => [f.id, f]));
    const messages = [];
    for (const msg of await this.repo.messagesAbout(subject.id, m))
      messages.push(
        await toMessageResponse(
          msg,
          msg.attachmentId ? byId.get(msg.attachmentId) : undefined,
          keyOf,
        ),
      );
    const attachments = [];
    for (const f of files) {
      const summary = attachmentSummary(f, await keyOf(f.subjectId));
      attachments.push({
        id: f.id,
        roomId: f.roomId,
        uploaderId: f.uploaderId,
        contentType: f.contentType,
        sizeBytes: f.sizeBytes,
        name: summary?.name ?? null,
        sent: f.messageId !== null,
        erased: summary === null,
        createdAt: f.createdAt.toISOString(),
      });
    }
    const reads = (await this.repo.readsBy(subject.id, m)).map((r) => ({
      roomId: r.roomId,
      messageId: r.messageId,
      readAt: r.readAt.toISOString(),
    }));
    return { messages, attachments, reads };
  }

  // Also forgets the person's data key wherever the chat keeps it for sealing (ChatKeys).
  async eraseFor(subject: PersonalDataSubject, m: EntityManager): Promise<number> {
    await this.sealing.forget(subject.id);
    return this.repo.eraseFor(subject.id, m);
  }
}
