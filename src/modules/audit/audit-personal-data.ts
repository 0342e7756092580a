import { Injectable, type OnModuleInit } from '@nestjs/common';
import { PersonalDataRegistry } from '../compliance/personal-data/personal-data-registry';
import { toRecordBody } from './audit-mapper';
import { AuditRepository } from './audit.repository';

// The audit trail's part of the data export: every record where the person is the actor or
// the subject. Erasure changes nothing: the trail is append-only (the database refuses
// UPDATE and DELETE), hash-chained, and refers to people by their pseudonymous ids only.
@Injectable()
export class AuditPersonalData implements OnModuleInit {
  constructor(
    private readonly registry: PersonalDataRegistry,
    private readonly repository: AuditRepository,
  ) {}

  onModuleInit(): void {
    this.registry.register({
      section: 'audit',
      tables: ['audit_events'],
      exportFor: async (userId, m) =>
        (await this.repository.findInvolving(userId, m)).map(toRecordBody),
      eraseFor: () => Promise.resolve(0),
    });
  }
}
