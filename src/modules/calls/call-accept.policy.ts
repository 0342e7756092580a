import type { EntityManager } from 'typeorm';
import type { AuthUser } from '../../common/auth/auth-user';

// THE check point for who may answer a call (docs/calls.md: a patient without an active
// `telemedicine` consent cannot answer, CONSENT_REQUIRED). It runs inside the accept
// transaction and throws to refuse. The compliance module provides it from a global module
// (ConsentGate), so this module does not depend on compliance.
export abstract class CallAcceptPolicy {
  abstract assertMayAccept(user: AuthUser, callId: string, manager: EntityManager): Promise<void>;
}
