import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { AuthUser } from '../../common/auth/auth-user';

// THE check point for who may answer a call (DESIGN.md §5: a patient without an active
// `telemedicine` consent cannot answer, CONSENT_REQUIRED). The compliance module provides the
// real policy by overriding this provider; it runs inside the accept transaction and throws
// to refuse.
export abstract class CallAcceptPolicy {
  abstract assertMayAccept(user: AuthUser, callId: string, manager: EntityManager): Promise<void>;
}

// Default until consent tracking exists: everyone who is rung may answer.
@Injectable()
export class AllowAllCallAcceptPolicy extends CallAcceptPolicy {
  assertMayAccept(): Promise<void> {
    return Promise.resolve();
  }
}
