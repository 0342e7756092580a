import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Role } from '../../../common/auth/role';
import type { AuthUser } from '../../../common/auth/auth-user';
import { CallAcceptPolicy } from '../../calls/call-accept.policy';
import { RoomJoinPolicy } from '../../sessions/ports/room-join.policy';
import { ConsentPurpose } from './consent-purpose';
import { ConsentErrors } from './consents.errors';
import { ConsentsRepository } from './consents.repository';

// THE consent check of docs/compliance.md: a patient takes part in a consultation, a group session
// or a call only with a `telemedicine` consent to the current text in force; so does a guest
// let in by an invitation link (docs/appointments.md, "Invitations"). Doctors, admins
// and compliance officers act in their professional capacity and are not gated. Every way in
// (signaling room:join and admission, REST and socket call accept) comes through
// assertMayConsult, via the two ports the sessions and calls modules declare.
@Injectable()
export class ConsentGate implements RoomJoinPolicy, CallAcceptPolicy {
  constructor(private readonly consents: ConsentsRepository) {}

  async assertMayConsult(user: { id: string; role: Role }, manager: EntityManager): Promise<void> {
    if (user.role !== Role.Patient && user.role !== Role.Guest) return;
    const purpose = ConsentPurpose.Telemedicine;
    // Under the person's lock, shared with other checks, exclusive with a withdrawal (see
    // lockPerson): a grant in force, of the current text. One round trip.
    if (!(await this.consents.inForceOfCurrentText(user.id, purpose, manager)))
      throw ConsentErrors.required();
  }

  assertMayJoin(
    user: { id: string; role: Role },
    _roomId: string,
    manager: EntityManager,
  ): Promise<void> {
    return this.assertMayConsult(user, manager);
  }

  assertMayAccept(user: AuthUser, _callId: string, manager: EntityManager): Promise<void> {
    return this.assertMayConsult(user, manager);
  }
}
