import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  PersonalDataContributor,
  type PersonalDataSubject,
} from '../../../common/personal-data/personal-data.contributor';
import { toInvitationResponse } from './invitation.mapper';
import { InvitationsRepository } from './invitations.repository';

// The invitations' part of the data export and erasure (docs/appointments.md, "Invitations"):
// the invitations that name the person (as their guest actor, or at the e-mail address of their
// account), never a token; erasure deletes them and forgets who sent or revoked the others.
@Injectable()
export class InvitationsPersonalData extends PersonalDataContributor {
  readonly section = 'invitations';
  readonly tables = ['appointment_invitations'];

  constructor(private readonly invitations: InvitationsRepository) {
    super();
  }

  async exportFor(subject: PersonalDataSubject, m: EntityManager): Promise<unknown> {
    return (await this.invitations.involving(subject, m)).map(toInvitationResponse);
  }

  eraseFor(subject: PersonalDataSubject, m: EntityManager): Promise<number> {
    return this.invitations.eraseFor(subject, m);
  }
}
