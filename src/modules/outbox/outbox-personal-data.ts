import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  PersonalDataContributor,
  type PersonalDataSubject,
} from '../../common/personal-data/personal-data.contributor';
import { OutboxRepository } from './outbox.repository';
import {
  COMMON_MEASURES,
  DataCategory,
  DataSubjectGroup,
  LegalBasis,
  Processor,
  type ProcessingDeclaration,
} from '../../common/personal-data/processing';

// The outbox's part of the data export and erasure: messages addressed to the person by
// e-mail (their payloads carry one-time tokens: left out of the export), deleted on erasure.
@Injectable()
export class OutboxPersonalData extends PersonalDataContributor {
  readonly section = 'messages';
  readonly tables = ['notification_outbox'];
  readonly processing: ProcessingDeclaration = {
    dataCategories: [DataCategory.Contact, DataCategory.Scheduling],
    dataSubjects: [DataSubjectGroup.Patients, DataSubjectGroup.Clinicians, DataSubjectGroup.Staff],
    purposes: ['sending e-mails, SMS, push notices and webhook events'],
    legalBases: [LegalBasis.Contract, LegalBasis.HealthCare],
    retention: 'until delivered (one-time tokens removed on delivery); deleted on erasure',
    internalRecipients: ['admin (outbox, without payloads)'],
    processors: [Processor.Smtp, Processor.Sms, Processor.Push, Processor.Webhooks],
    securityMeasures: [...COMMON_MEASURES, 'payload secrets removed on delivery'],
  };

  constructor(private readonly outbox: OutboxRepository) {
    super();
  }

  exportFor(subject: PersonalDataSubject, m: EntityManager): Promise<unknown> {
    return this.outbox.addressedTo(subject.email, m);
  }

  eraseFor(subject: PersonalDataSubject, m: EntityManager): Promise<number> {
    return this.outbox.deleteAddressedTo(subject.email, m);
  }
}
