import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { PersonalDataRegistry } from '../personal-data/personal-data-registry';
import { toConsentExport } from './consent.mapper';
import { ConsentsRepository } from './consents.repository';

// The person's consents in the data export; on erasure, the IP address and user agent of
// their grants are destroyed and anything in force is withdrawn, but the grants themselves
// stay: they are the controller's evidence (KVKK art. 5/2 and 6: the controller must be able
// to prove explicit consent) and hold no more than purpose, version and times once the origin
// is gone. docs/compliance.md explains the choice.
@Injectable()
export class ConsentsPersonalData implements OnModuleInit {
  readonly section = 'consents';
  readonly tables = ['consent_grants'] as const;

  constructor(
    private readonly registry: PersonalDataRegistry,
    private readonly consents: ConsentsRepository,
  ) {}

  onModuleInit(): void {
    this.registry.register({
      section: this.section,
      tables: this.tables,
      exportFor: (userId, m) => this.exportFor(userId, m),
      eraseFor: (userId, m) => this.eraseFor(userId, m),
    });
  }

  async exportFor(userId: string, m: EntityManager): Promise<unknown> {
    return (await this.consents.grantsOf(userId, m)).map(toConsentExport);
  }

  eraseFor(userId: string, m: EntityManager): Promise<number> {
    return this.consents.eraseOrigins(userId, new Date(), m);
  }
}
