import { Injectable, type OnModuleInit } from '@nestjs/common';
import { PersonalDataRegistry } from '../../compliance/personal-data/personal-data-registry';
import { toAvailabilityResponse } from './availability.mapper';
import { AvailabilityRepository } from './availability.repository';

// The appointments module's part of the data export (a clinician's working hours) and of
// erasure: working hours are not part of any medical record, so the row is deleted.
@Injectable()
export class AvailabilityPersonalData implements OnModuleInit {
  constructor(
    private readonly registry: PersonalDataRegistry,
    private readonly availability: AvailabilityRepository,
  ) {}

  onModuleInit(): void {
    this.registry.register({
      section: 'availability',
      tables: ['clinician_availability'],
      exportFor: async (userId, m) => {
        const row = await this.availability.find(userId, m);
        return row ? toAvailabilityResponse(row) : null;
      },
      eraseFor: (userId, m) => this.availability.remove(userId, m),
    });
  }
}
