import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  PersonalDataContributor,
  type PersonalDataSubject,
} from '../../../common/personal-data/personal-data.contributor';
import { toConsentExport } from './consent.mapper';
import { ConsentsRepository } from './consents.repository';
import {
  COMMON_MEASURES,
  DataCategory,
  DataSubjectGroup,
  LegalBasis,
  Processor,
  type ProcessingDeclaration,
} from '../../../common/personal-data/processing';

// The person's consents in the data export; on erasure, the IP address and user agent of
// their grants are destroyed and anything in force is withdrawn, but the grants themselves
// stay: they are the controller's evidence (KVKK art. 5/2 and 6: the controller must be able
// to prove explicit consent) and hold no more than purpose, version and times once the origin
// is gone. docs/compliance.md explains the choice.
@Injectable()
export class ConsentsPersonalData extends PersonalDataContributor {
  readonly section = 'consents';
  readonly tables = ['consent_grants'];
  readonly processing: ProcessingDeclaration = {
    dataCategories: [DataCategory.Consent, DataCategory.Device],
    dataSubjects: [DataSubjectGroup.Patients, DataSubjectGroup.Clinicians, DataSubjectGroup.Staff],
    purposes: ['evidence of explicit consent and its withdrawal (KVKK art. 6)'],
    legalBases: [LegalBasis.LegalObligation, LegalBasis.LegalClaims],
    retention:
      'never by the retention job (evidence of consent); erasure removes their origin (IP, user agent)',
    internalRecipients: ['the person', 'compliance_officer'],
    processors: [Processor.Webhooks],
    securityMeasures: [...COMMON_MEASURES],
  };

  constructor(private readonly consents: ConsentsRepository) {
    super();
  }

  async exportFor(subject: PersonalDataSubject, m: EntityManager): Promise<unknown> {
    return (await this.consents.grantsOf(subject.id, m)).map(toConsentExport);
  }

  eraseFor(subject: PersonalDataSubject, m: EntityManager): Promise<number> {
    return this.consents.eraseOrigins(subject.id, new Date(), m);
  }
}
