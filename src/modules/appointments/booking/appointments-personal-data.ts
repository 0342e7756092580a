import { Injectable, type OnModuleInit } from '@nestjs/common';
import { PersonalDataRegistry } from '../../compliance/personal-data/personal-data-registry';
import { toAppointmentResponse } from './appointment.mapper';
import { AppointmentsRepository } from './appointments.repository';

// The appointments' part of the data export (every appointment the person is a party to, with
// its reason and outcome: they are the person's own) and of erasure: appointments stay as part
// of the medical record under pseudonymous ids, those still to come are cancelled, and the
// patient's own words (the reason) are removed.
@Injectable()
export class AppointmentsPersonalData implements OnModuleInit {
  constructor(
    private readonly registry: PersonalDataRegistry,
    private readonly appointments: AppointmentsRepository,
  ) {}

  onModuleInit(): void {
    this.registry.register({
      section: 'appointments',
      tables: ['appointments'],
      exportFor: async (userId, m) =>
        (await this.appointments.involving(userId, m)).map((a) => toAppointmentResponse(a, true)),
      eraseFor: (userId, m) => this.appointments.eraseFor(userId, m),
    });
  }
}
