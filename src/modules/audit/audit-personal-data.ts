import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  PersonalDataContributor,
  type PersonalDataSubject,
} from '../../common/personal-data/personal-data.contributor';
import { toRecordBody } from './audit-mapper';
import { AuditRepository } from './audit.repository';

// The audit trail's part of the data export: every record where the person is the actor or
// the subject. Erasure changes nothing: the trail is append-only (the database refuses
// UPDATE and DELETE), hash-chained, and refers to people by their pseudonymous ids only.
@Injectable()
export class AuditPersonalData extends PersonalDataContributor {
  readonly section = 'audit';
  readonly tables = ['audit_events'];

  constructor(private readonly repository: AuditRepository) {
    super();
  }

  async exportFor(subject: PersonalDataSubject, m: EntityManager): Promise<unknown> {
    return (await this.repository.findInvolving(subject.id, m)).map(toRecordBody);
  }

  eraseFor(): Promise<number> {
    return Promise.resolve(0);
  }
}
