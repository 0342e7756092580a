import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  PersonalDataContributor,
  type PersonalDataSubject,
} from '../../../common/personal-data/personal-data.contributor';
import { ComplianceAlertsRepository } from './compliance-alerts.repository';
import { toAlertResponse } from './reporting.mapper';
import {
  COMMON_MEASURES,
  DataCategory,
  DataSubjectGroup,
  LegalBasis,
  Processor,
  type ProcessingDeclaration,
} from '../../../common/personal-data/processing';

// Alerts about the person's actions, or that they acknowledged: exported. Erasure keeps them:
// like the audit trail they record, they name people by pseudonymous ids only and are kept
// as evidence of the controls (docs/compliance.md, C17).
@Injectable()
export class ComplianceAlertsPersonalData extends PersonalDataContributor {
  readonly section = 'complianceAlerts';
  readonly tables = ['compliance_alerts'];
  readonly processing: ProcessingDeclaration = {
    dataCategories: [DataCategory.Security],
    dataSubjects: [DataSubjectGroup.Clinicians, DataSubjectGroup.Staff],
    purposes: [
      'detecting bulk record reads, emergency access, repeated refusals and bulk exports (C17)',
    ],
    legalBases: [LegalBasis.LegalObligation, LegalBasis.LegitimateInterest],
    retention: 'kept with the audit trail (pseudonymous ids)',
    internalRecipients: ['compliance_officer'],
    processors: [Processor.Webhooks],
    securityMeasures: [...COMMON_MEASURES],
  };

  constructor(private readonly alerts: ComplianceAlertsRepository) {
    super();
  }

  async exportFor(subject: PersonalDataSubject, m: EntityManager): Promise<unknown> {
    return (await this.alerts.findInvolving(subject.id, m)).map(toAlertResponse);
  }

  eraseFor(): Promise<number> {
    return Promise.resolve(0);
  }
}
