import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  PersonalDataContributor,
  type PersonalDataSubject,
} from '../../../common/personal-data/personal-data.contributor';
import {
  COMMON_MEASURES,
  DataCategory,
  DataSubjectGroup,
  LegalBasis,
  Processor,
  type ProcessingDeclaration,
} from '../../../common/personal-data/processing';
import { toInvitationResponse } from './invitation.mapper';
import { InvitationsRepository } from './invitations.repository';

// The invitations' part of the data export and erasure (docs/appointments.md, "Invitations"):
// the invitations that name the person (as their guest actor, or at the e-mail address of their
// account), never a token; erasure deletes them and forgets who sent or revoked the others.
@Injectable()
export class InvitationsPersonalData extends PersonalDataContributor {
  readonly section = 'invitations';
  readonly tables = ['appointment_invitations'];
  readonly processing: ProcessingDeclaration = {
    dataCategories: [DataCategory.Identity, DataCategory.Contact, DataCategory.Scheduling],
    dataSubjects: [DataSubjectGroup.Invitees, DataSubjectGroup.Patients],
    purposes: ['letting invited people into an appointment by a one-time link'],
    legalBases: [LegalBasis.HealthCare, LegalBasis.Contract],
    retention:
      'contact details and the link are scrubbed RETENTION_SESSIONS_DAYS after the appointment ended; erased with the person',
    internalRecipients: ['the clinician', 'admin'],
    processors: [Processor.Smtp, Processor.Sms, Processor.Webhooks],
    securityMeasures: [
      ...COMMON_MEASURES,
      'links stored only as hashes, bound to the first device',
    ],
  };

  constructor(private readonly invitations: InvitationsRepository) {
    super();
  }

  async exportFor(subject: PersonalDataSubject, m: EntityManager): Promise<unknown> {
    return (await this.invitations.involving(subject, m)).map(toInvitationResponse);
  }

  eraseFor(subject: PersonalDataSubject, m: EntityManager): Promise<number> {
    return this.invitations.eraseFor(subject, m);
  }
}
