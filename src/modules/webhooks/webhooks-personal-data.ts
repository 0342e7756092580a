import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  affectedRows,
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

// The webhook endpoints an admin registered name them as their creator: exported (without the
// secret) and unlinked on erasure. The endpoints stay; they belong to the organisation.
@Injectable()
export class WebhooksPersonalData extends PersonalDataContributor {
  readonly section = 'webhookEndpointsCreated';
  readonly tables = ['webhook_endpoints'];
  readonly processing: ProcessingDeclaration = {
    dataCategories: [DataCategory.Professional],
    dataSubjects: [DataSubjectGroup.Staff],
    purposes: ['knowing which admin registered an integration'],
    legalBases: [LegalBasis.LegitimateInterest],
    retention: 'while the endpoint exists',
    internalRecipients: ['admin'],
    processors: [],
    securityMeasures: [...COMMON_MEASURES, 'signing secrets encrypted at rest'],
  };

  exportFor(subject: PersonalDataSubject, m: EntityManager): Promise<unknown> {
    return m.query<Record<string, unknown>[]>(
      `SELECT id, url, events, created_at AS "createdAt", deleted_at AS "deletedAt"
         FROM webhook_endpoints WHERE created_by = $1 ORDER BY created_at`,
      [subject.id],
    );
  }

  eraseFor(subject: PersonalDataSubject, m: EntityManager): Promise<number> {
    return affectedRows(m, `UPDATE webhook_endpoints SET created_by = NULL WHERE created_by = $1`, [
      subject.id,
    ]);
  }
}
