import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, IsNull, Repository } from 'typeorm';
import { MfaSecretEntity } from './mfa-secret.entity';
import { RecoveryCodeEntity } from './recovery-code.entity';

// The only code that touches auth_mfa and auth_recovery_codes.
@Injectable()
export class MfaRepository {
  constructor(
    @InjectRepository(MfaSecretEntity) private readonly secrets: Repository<MfaSecretEntity>,
  ) {}

  private repo(manager?: EntityManager): Repository<MfaSecretEntity> {
    return manager ? manager.getRepository(MfaSecretEntity) : this.secrets;
  }

  find(userId: string, manager?: EntityManager): Promise<MfaSecretEntity | null> {
    return this.repo(manager).findOne({ where: { userId } });
  }

  findForUpdate(userId: string, manager: EntityManager): Promise<MfaSecretEntity | null> {
    return this.repo(manager).findOne({ where: { userId }, lock: { mode: 'pessimistic_write' } });
  }

  // A new, not yet enabled secret replaces any earlier unfinished setup.
  async saveSetup(userId: string, secretCiphertext: string, manager: EntityManager): Promise<void> {
    await this.repo(manager).upsert(
      { userId, secretCiphertext, enabledAt: null, lastTimeStep: null },
      ['userId'],
    );
  }

  async enable(userId: string, timeStep: number, manager: EntityManager): Promise<void> {
    await this.repo(manager).update(
      { userId },
      { enabledAt: () => 'now()', lastTimeStep: String(timeStep) },
    );
  }

  // Accepts a time step only if it is newer than every step accepted before: of two
  // concurrent uses of one code, exactly one wins.
  async claimTimeStep(userId: string, timeStep: number, manager: EntityManager): Promise<boolean> {
    const result = await manager
      .createQueryBuilder()
      .update(MfaSecretEntity)
      .set({ lastTimeStep: String(timeStep) })
      .where('user_id = :userId AND (last_time_step IS NULL OR last_time_step < :step)', {
        userId,
        step: timeStep,
      })
      .execute();
    return (result.affected ?? 0) > 0;
  }

  async remove(userId: string, manager: EntityManager): Promise<void> {
    await this.repo(manager).delete({ userId });
    await manager.getRepository(RecoveryCodeEntity).delete({ userId });
  }

  async replaceRecoveryCodes(
    userId: string,
    codeHashes: readonly string[],
    manager: EntityManager,
  ): Promise<void> {
    const codes = manager.getRepository(RecoveryCodeEntity);
    await codes.delete({ userId });
    await codes.insert(codeHashes.map((codeHash) => ({ userId, codeHash, usedAt: null })));
  }

  // Uses a recovery code once: true only for the call that consumed it.
  async consumeRecoveryCode(
    userId: string,
    codeHash: string,
    manager: EntityManager,
  ): Promise<boolean> {
    const result = await manager
      .getRepository(RecoveryCodeEntity)
      .update({ userId, codeHash, usedAt: IsNull() }, { usedAt: () => 'now()' });
    return (result.affected ?? 0) > 0;
  }
}
