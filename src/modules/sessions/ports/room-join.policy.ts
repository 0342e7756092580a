import type { EntityManager } from 'typeorm';
import type { Role } from '../../../common/auth/role';

// THE check point for who may enter a room's session (docs/access-model.md: a patient without an
// active `telemedicine` consent cannot join, CONSENT_REQUIRED). It runs inside the join (and
// admit) transaction and throws to refuse. The compliance module provides it from a global
// module, so this module does not depend on compliance.
export abstract class RoomJoinPolicy {
  abstract assertMayJoin(
    user: { id: string; role: Role },
    roomId: string,
    manager: EntityManager,
  ): Promise<void>;
}
