import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  PersonalDataContributor,
  type PersonalDataSubject,
} from '../../common/personal-data/personal-data.contributor';
import { OutboxRepository } from './outbox.repository';

// The outbox's part of the data export and erasure: messages addressed to the person by
// e-mail (their payloads carry one-time tokens: left out of the export), deleted on erasure.
@Injectable()
export class OutboxPersonalData extends PersonalDataContributor {
  readonly section = 'messages';
  readonly tables = ['notification_outbox'];

  constructor(private readonly outbox: OutboxRepository) {
    super();
  }

  exportFor(subject: PersonalDataSubject, m: EntityManager): Promise<unknown> {
    return this.outbox.addressedTo(subject.email, m);
  }

  eraseFor(subject: PersonalDataSubject, m: EntityManager): Promise<number> {
    return this.outbox.deleteAddressedTo(subject.email, m);
  }
}
