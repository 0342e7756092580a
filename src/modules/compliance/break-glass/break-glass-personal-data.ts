import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  PersonalDataContributor,
  type PersonalDataSubject,
} from '../../../common/personal-data/personal-data.contributor';
import { BreakGlassRepository } from './break-glass.repository';
import { toBreakGlassResponse } from './break-glass.service';

// Break-glass grants the person opened or was the subject of: exported; on erasure the
// reasons written about them are redacted (the grants stay, as the record of the access).
@Injectable()
export class BreakGlassPersonalData extends PersonalDataContributor {
  readonly section = 'breakGlass';
  readonly tables = ['break_glass_grants'];

  constructor(private readonly grants: BreakGlassRepository) {
    super();
  }

  async exportFor(subject: PersonalDataSubject, m: EntityManager): Promise<unknown> {
    const now = new Date();
    return (await this.grants.findInvolving(subject.id, m)).map((g) =>
      toBreakGlassResponse(g, now),
    );
  }

  eraseFor(subject: PersonalDataSubject, m: EntityManager): Promise<number> {
    return this.grants.redactReasonsAbout(subject.id, m);
  }
}
