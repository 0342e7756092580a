import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  PersonalDataContributor,
  type PersonalDataSubject,
} from '../../../common/personal-data/personal-data.contributor';
import { BreakGlassRepository } from './break-glass.repository';
import { toBreakGlassResponse } from './break-glass.service';
import {
  COMMON_MEASURES,
  DataCategory,
  DataSubjectGroup,
  LegalBasis,
  type ProcessingDeclaration,
} from '../../../common/personal-data/processing';

// Break-glass grants the person opened or was the subject of: exported; on erasure the
// reasons written about them are redacted (the grants stay, as the record of the access).
@Injectable()
export class BreakGlassPersonalData extends PersonalDataContributor {
  readonly section = 'breakGlass';
  readonly tables = ['break_glass_grants'];
  readonly processing: ProcessingDeclaration = {
    dataCategories: [DataCategory.Health],
    dataSubjects: [DataSubjectGroup.Patients, DataSubjectGroup.Clinicians],
    purposes: [
      'emergency access to a patient record, with a written reason (HIPAA 164.312(a)(2)(ii))',
    ],
    legalBases: [LegalBasis.VitalInterest, LegalBasis.LegalObligation],
    retention:
      'kept as the record of the access; erasure redacts the reasons written about the person',
    internalRecipients: ['the doctor who opened it', 'compliance_officer', 'admin'],
    processors: [],
    securityMeasures: [...COMMON_MEASURES, 'time-limited, alarm on every start (C17)'],
  };

  constructor(private readonly grants: BreakGlassRepository) {
    super();
  }

  async exportFor(subject: PersonalDataSubject, m: EntityManager): Promise<unknown> {
    const now = new Date();
    return (await this.grants.findInvolving(subject.id, m)).map((g) =>
      toBreakGlassResponse(g, now),
    );
  }

  eraseFor(subject: PersonalDataSubject, m: EntityManager): Promise<number> {
    return this.grants.redactReasonsAbout(subject.id, m);
  }
}
