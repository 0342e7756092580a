import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, IsNull, Repository } from 'typeorm';
import { PasswordResetEntity } from './password-reset.entity';

// The only code that touches auth_password_resets.
@Injectable()
export class PasswordResetRepository {
  constructor(
    @InjectRepository(PasswordResetEntity)
    private readonly resets: Repository<PasswordResetEntity>,
  ) {}

  async create(
    userId: string,
    tokenHash: string,
    expiresAt: Date,
    manager: EntityManager,
  ): Promise<void> {
    await manager
      .getRepository(PasswordResetEntity)
      .insert({ userId, tokenHash, expiresAt, usedAt: null });
  }

  findByHashForUpdate(
    tokenHash: string,
    manager: EntityManager,
  ): Promise<PasswordResetEntity | null> {
    return manager
      .getRepository(PasswordResetEntity)
      .findOne({ where: { tokenHash }, lock: { mode: 'pessimistic_write' } });
  }

  // Uses up every outstanding token of the user, the presented one included.
  async consumeAllForUser(userId: string, manager: EntityManager): Promise<void> {
    await manager
      .getRepository(PasswordResetEntity)
      .update({ userId, usedAt: IsNull() }, { usedAt: () => 'now()' });
  }

  countPending(userId: string): Promise<number> {
    return this.resets.count({ where: { userId, usedAt: IsNull() } });
  }
}
