import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  PersonalDataContributor,
  type PersonalDataSubject,
} from '../../../common/personal-data/personal-data.contributor';
import { toAppointmentResponse } from './appointment.mapper';
import { AppointmentsRepository } from './appointments.repository';

// The appointments' part of the data export (every appointment the person is a party to, with
// its reason and outcome: they are the person's own) and of erasure: appointments stay as part
// of the medical record under pseudonymous ids, those still to come are cancelled, and the
// patient's own words (the reason, the note of their pre-call check) are removed.
@Injectable()
export class AppointmentsPersonalData extends PersonalDataContributor {
  readonly section = 'appointments';
  readonly tables = ['appointments'];

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
