import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  PersonalDataContributor,
  type PersonalDataSubject,
} from '../../../common/personal-data/personal-data.contributor';
import { toConsentExport } from './consent.mapper';
import { ConsentsRepository } from './consents.repository';

// The person's consents in the data export; on erasure, the IP address and user agent of
// their grants are destroyed and anything in force is withdrawn, but the grants themselves
// stay: they are the controller's evidence (KVKK art. 5/2 and 6: the controller must be able
// to prove explicit consent) and hold no more than purpose, version and times once the origin
// is gone. docs/compliance.md explains the choice.
@Injectable()
export class ConsentsPersonalData extends PersonalDataContributor {
  readonly section = 'consents';
  readonly tables = ['consent_grants'];

  constructor(private readonly consents: ConsentsRepository) {
    super();
  }

  async exportFor(subject: PersonalDataSubject, m: EntityManager): Promise<unknown> {
    return (await this.consents.grantsOf(subject.id, m)).map(toConsentExport);
  }

  eraseFor(subject: PersonalDataSubject, m: EntityManager): Promise<number> {
    return this.consents.eraseOrigins(subject.id, new Date(), m);
  }
}
