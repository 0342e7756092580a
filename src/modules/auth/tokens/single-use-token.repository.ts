import { Injectable } from '@nestjs/common';
import { type EntityManager, IsNull } from 'typeorm';
import { SingleUseTokenEntity, type SingleUseTokenPurpose } from './single-use-token.entity';

// A token as the flows see it: whose it is and whether it can still be used.
export interface SingleUseToken {
  userId: string;
  expiresAt: Date;
  usedAt: Date | null;
}

// The only code that touches auth_single_use_tokens: the one store of the password reset and
// e-mail verification flows, each keyed by its purpose. Every method runs in the caller's
// transaction.
@Injectable()
export class SingleUseTokenRepository {
  async create(
    purpose: SingleUseTokenPurpose,
    userId: string,
    tokenHash: string,
    expiresAt: Date,
    manager: EntityManager,
  ): Promise<void> {
    await manager
      .getRepository(SingleUseTokenEntity)
      .insert({ purpose, userId, tokenHash, expiresAt, usedAt: null });
  }

  // Locks the token's row until the transaction ends, so that two presentations of one token
  // cannot both use it. A token of another purpose is not found.
  findByHashForUpdate(
    purpose: SingleUseTokenPurpose,
    tokenHash: string,
    manager: EntityManager,
  ): Promise<SingleUseToken | null> {
    return manager
      .getRepository(SingleUseTokenEntity)
      .findOne({ where: { purpose, tokenHash }, lock: { mode: 'pessimistic_write' } });
  }

  // Uses up every outstanding token of this purpose of the user, the presented one included.
  async consumeAllForUser(
    purpose: SingleUseTokenPurpose,
    userId: string,
    manager: EntityManager,
  ): Promise<void> {
    await manager
      .getRepository(SingleUseTokenEntity)
      .update({ purpose, userId, usedAt: IsNull() }, { usedAt: () => 'now()' });
  }
}
