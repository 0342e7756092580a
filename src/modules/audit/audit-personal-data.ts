import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  PersonalDataContributor,
  type PersonalDataSubject,
} from '../../common/personal-data/personal-data.contributor';
import { toRecordBody } from './audit-mapper';
import { AuditRepository } from './audit.repository';
import {
  COMMON_MEASURES,
  DataCategory,
  DataSubjectGroup,
  LegalBasis,
  Processor,
  type ProcessingDeclaration,
} from '../../common/personal-data/processing';

// The audit trail's part of the data export: every record where the person is the actor or
// the subject. Erasure changes nothing: the trail is append-only (the database refuses
// UPDATE and DELETE), hash-chained, and refers to people by their pseudonymous ids only.
@Injectable()
export class AuditPersonalData extends PersonalDataContributor {
  readonly section = 'audit';
  readonly tables = ['audit_events'];
  readonly processing: ProcessingDeclaration = {
    dataCategories: [DataCategory.Security, DataCategory.Device, DataCategory.Health],
    dataSubjects: [DataSubjectGroup.Patients, DataSubjectGroup.Clinicians, DataSubjectGroup.Staff],
    purposes: [
      'accountability: who did what to whose data, and when (KVKK art. 12, HIPAA 164.312(b))',
    ],
    legalBases: [LegalBasis.LegalObligation, LegalBasis.LegalClaims],
    retention: 'append-only, at least AUDIT_RETENTION_DAYS; never erased (pseudonymous ids)',
    internalRecipients: ['compliance_officer', 'admin', 'the person (data export, access report)'],
    processors: [Processor.Siem],
    securityMeasures: [
      ...COMMON_MEASURES,
      'SHA-256 hash chain',
      'Ed25519-signed checkpoints',
      'the database refuses UPDATE and DELETE',
    ],
  };

  constructor(private readonly repository: AuditRepository) {
    super();
  }

  async exportFor(subject: PersonalDataSubject, m: EntityManager): Promise<unknown> {
    return (await this.repository.findInvolving(subject.id, m)).map(toRecordBody);
  }

  eraseFor(): Promise<number> {
    return Promise.resolve(0);
  }
}
