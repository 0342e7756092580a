import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  PersonalDataContributor,
  type PersonalDataSubject,
} from '../../../common/personal-data/personal-data.contributor';
import { DataSubjectRepository } from './data-subject.repository';
import { toErasureResponse } from './data-subject.service';
import {
  COMMON_MEASURES,
  DataCategory,
  DataSubjectGroup,
  LegalBasis,
  type ProcessingDeclaration,
} from '../../../common/personal-data/processing';

// The person's own erasure requests and destruction records: exported; an erasure keeps them,
// since they are the proof of the erasure.
@Injectable()
export class DataSubjectPersonalData extends PersonalDataContributor {
  readonly section = 'dataSubjectRequests';
  readonly tables = ['erasure_requests', 'erasure_destruction_records'];
  readonly processing: ProcessingDeclaration = {
    dataCategories: [DataCategory.Identity],
    dataSubjects: [DataSubjectGroup.Patients],
    purposes: ['answering erasure requests and keeping the record of destruction'],
    legalBases: [LegalBasis.LegalObligation],
    retention: 'kept as the record of destruction (KVKK destruction regulation)',
    internalRecipients: ['compliance_officer'],
    processors: [],
    securityMeasures: [...COMMON_MEASURES],
  };

  constructor(private readonly requests: DataSubjectRepository) {
    super();
  }

  async exportFor(subject: PersonalDataSubject, manager: EntityManager): Promise<unknown> {
    const { requests, destructions } = await this.requests.findForSubject(subject.id, manager);
    return {
      erasureRequests: requests.map(toErasureResponse),
      destructionRecords: destructions.map((d) => ({
        id: d.id,
        requestId: d.requestId,
        performedAt: d.performedAt.toISOString(),
        method: d.method,
        destroyed: d.destroyed,
      })),
    };
  }

  eraseFor(): Promise<number> {
    return Promise.resolve(0);
  }
}
