import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  PersonalDataContributor,
  type PersonalDataSubject,
} from '../../common/personal-data/personal-data.contributor';
import { CareEndReason } from './care-relationship.entity';
import { toCareRelationshipResponse } from './care.mapper';
import { CareRepository } from './care.repository';
import {
  COMMON_MEASURES,
  DataCategory,
  DataSubjectGroup,
  LegalBasis,
  type ProcessingDeclaration,
} from '../../common/personal-data/processing';

// The care module's part of the data export (every relationship the person is a party to)
// and of erasure: relationships stay, under pseudonymous ids, as part of the medical record,
// but every one still active ends at once.
@Injectable()
export class CarePersonalData extends PersonalDataContributor {
  readonly section = 'careRelationships';
  readonly tables = ['care_relationships'];
  readonly processing: ProcessingDeclaration = {
    dataCategories: [DataCategory.Health],
    dataSubjects: [DataSubjectGroup.Patients, DataSubjectGroup.Clinicians],
    purposes: ['deciding which clinician may see which patient (minimum necessary)'],
    legalBases: [LegalBasis.HealthCare],
    retention: 'live while treated, then CARE_FOLLOW_UP_DAYS; kept as the basis of past reads',
    internalRecipients: ['the patient', 'the clinician', 'admin'],
    processors: [],
    securityMeasures: [...COMMON_MEASURES],
  };

  constructor(private readonly relationships: CareRepository) {
    super();
  }

  async exportFor(subject: PersonalDataSubject, m: EntityManager): Promise<unknown> {
    return (await this.relationships.involving(subject.id, m)).map((r) =>
      toCareRelationshipResponse(r),
    );
  }

  eraseFor(subject: PersonalDataSubject, m: EntityManager): Promise<number> {
    return this.relationships.endAllInvolving(subject.id, CareEndReason.Erased, m);
  }
}
