import { Injectable } from '@nestjs/common';
import { type EntityManager, IsNull } from 'typeorm';
import { EmailVerificationEntity } from './email-verification.entity';

// The only code that touches auth_email_verifications.
@Injectable()
export class EmailVerificationRepository {
  async create(
    userId: string,
    tokenHash: string,
    expiresAt: Date,
    manager: EntityManager,
  ): Promise<void> {
    await manager
      .getRepository(EmailVerificationEntity)
      .insert({ userId, tokenHash, expiresAt, usedAt: null });
  }

  findByHashForUpdate(
    tokenHash: string,
    manager: EntityManager,
  ): Promise<EmailVerificationEntity | null> {
    return manager
      .getRepository(EmailVerificationEntity)
      .findOne({ where: { tokenHash }, lock: { mode: 'pessimistic_write' } });
  }

  async consumeAllForUser(userId: string, manager: EntityManager): Promise<void> {
    await manager
      .getRepository(EmailVerificationEntity)
      .update({ userId, usedAt: IsNull() }, { usedAt: () => 'now()' });
  }
}
