import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  PersonalDataContributor,
  type PersonalDataSubject,
} from '../../../common/personal-data/personal-data.contributor';
import { toAvailabilityResponse } from './availability.mapper';
import { AvailabilityRepository } from './availability.repository';
import {
  COMMON_MEASURES,
  DataCategory,
  DataSubjectGroup,
  LegalBasis,
  type ProcessingDeclaration,
} from '../../../common/personal-data/processing';

// The appointments module's part of the data export (a clinician's working hours) and of
// erasure: working hours are not part of any medical record, so the row is deleted.
@Injectable()
export class AvailabilityPersonalData extends PersonalDataContributor {
  readonly section = 'availability';
  readonly tables = ['clinician_availability'];
  readonly processing: ProcessingDeclaration = {
    dataCategories: [DataCategory.Professional, DataCategory.Scheduling],
    dataSubjects: [DataSubjectGroup.Clinicians],
    purposes: ['offering bookable slots'],
    legalBases: [LegalBasis.Contract],
    retention: 'while the clinician account exists',
    internalRecipients: ['every signed-in user (free slots only)'],
    processors: [],
    securityMeasures: [...COMMON_MEASURES],
  };

  constructor(private readonly availability: AvailabilityRepository) {
    super();
  }

  async exportFor(subject: PersonalDataSubject, m: EntityManager): Promise<unknown> {
    const row = await this.availability.find(subject.id, m);
    return row ? toAvailabilityResponse(row) : null;
  }

  eraseFor(subject: PersonalDataSubject, m: EntityManager): Promise<number> {
    return this.availability.remove(subject.id, m);
  }
}
