import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  PersonalDataContributor,
  type PersonalDataSubject,
} from '../../../common/personal-data/personal-data.contributor';
import { toAppointmentResponse } from './appointment.mapper';
import { AppointmentsRepository } from './appointments.repository';
import {
  COMMON_MEASURES,
  DataCategory,
  DataSubjectGroup,
  LegalBasis,
  Processor,
  type ProcessingDeclaration,
} from '../../../common/personal-data/processing';

// The appointments' part of the data export (every appointment the person is a party to, with
// its reason and outcome: they are the person's own) and of erasure: appointments stay as part
// of the medical record under pseudonymous ids, those still to come are cancelled, and the
// patient's own words (the reason, the note of their pre-call check) are removed.
@Injectable()
export class AppointmentsPersonalData extends PersonalDataContributor {
  readonly section = 'appointments';
  readonly tables = ['appointments'];
  readonly processing: ProcessingDeclaration = {
    dataCategories: [DataCategory.Scheduling, DataCategory.Health],
    dataSubjects: [DataSubjectGroup.Patients, DataSubjectGroup.Clinicians],
    purposes: ['booking and running appointments'],
    legalBases: [LegalBasis.HealthCare, LegalBasis.Contract],
    retention:
      'while the account exists; reasons written by the patient are erased with the account',
    internalRecipients: ['the patient', 'the clinician', 'admin'],
    processors: [Processor.Smtp, Processor.Webhooks],
    securityMeasures: [...COMMON_MEASURES],
  };

  constructor(private readonly appointments: AppointmentsRepository) {
    super();
  }

  async exportFor(subject: PersonalDataSubject, m: EntityManager): Promise<unknown> {
    return (await this.appointments.involving(subject.id, m)).map((a) => ({
      ...toAppointmentResponse(a, true),
      // The pre-call check the patient's device reported (docs/appointments.md, "The queue").
      precheck:
        a.precheckAt === null
          ? null
          : {
              passed: a.precheckPassed,
              at: a.precheckAt.toISOString(),
              details: a.precheckDetails,
            },
    }));
  }

  eraseFor(subject: PersonalDataSubject, m: EntityManager): Promise<number> {
    return this.appointments.eraseFor(subject.id, m);
  }
}
