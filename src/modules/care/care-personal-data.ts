import { Injectable, type OnModuleInit } from '@nestjs/common';
import { PersonalDataRegistry } from '../compliance/personal-data/personal-data-registry';
import { CareEndReason } from './care-relationship.entity';
import { toCareRelationshipResponse } from './care.mapper';
import { CareRepository } from './care.repository';

// The care module's part of the data export (every relationship the person is a party to)
// and of erasure: relationships stay, under pseudonymous ids, as part of the medical record,
// but every one still active ends at once.
@Injectable()
export class CarePersonalData implements OnModuleInit {
  constructor(
    private readonly registry: PersonalDataRegistry,
    private readonly relationships: CareRepository,
  ) {}

  onModuleInit(): void {
    this.registry.register({
      section: 'careRelationships',
      tables: ['care_relationships'],
      exportFor: async (userId, m) =>
        (await this.relationships.involving(userId, m)).map((r) => toCareRelationshipResponse(r)),
      eraseFor: (userId, m) => this.relationships.endAllInvolving(userId, CareEndReason.Erased, m),
    });
  }
}
