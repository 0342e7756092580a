import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, IsNull, Repository } from 'typeorm';
import { behindLock, type LockStatement } from '../../../infra/database/behind-lock';
import { type Prepared, preparedRows } from '../../../infra/database/prepared';
import type { ConsentPurpose } from './consent-purpose';
import { ConsentGrantEntity, ConsentTextEntity } from './consent.entity';

export interface NewGrant {
  userId: string;
  purpose: ConsentPurpose;
  version: number;
  grantedAt: Date;
  ip: string | null;
  userAgent: string | null;
}

// First key of this module's two-key advisory locks (ASCII 'KVKK'); the single-key locks
// used elsewhere live in a separate key space.
const LOCK_SPACE = 0x4b564b4b;

function lockPersonStatement(
  userId: string,
  purpose: ConsentPurpose,
  mode: 'change' | 'check',
): LockStatement {
  const fn = mode === 'change' ? 'pg_advisory_xact_lock' : 'pg_advisory_xact_lock_shared';
  return {
    text: `SELECT ${fn}($1::int, hashtext($2::text))`,
    values: [LOCK_SPACE, `${userId}:${purpose}`],
  };
}

// The consent gate's read (every call's accept and join), prepared once per connection.
const IN_FORCE_OF_CURRENT_TEXT: Prepared = {
  name: 'hekim_consent_in_force_of_current_text',
  text: `SELECT EXISTS (
      SELECT 1 FROM consent_grants g
       WHERE g.user_id = $1 AND g.purpose = $2
         AND g.withdrawn_at IS NULL AND g.superseded_at IS NULL
         AND g.version = (SELECT max(t.version) FROM consent_texts t WHERE t.purpose = $2)
    ) AS ok`,
};

// The only code that touches consent_texts and consent_grants.
@Injectable()
export class ConsentsRepository {
  constructor(
    @InjectRepository(ConsentTextEntity) private readonly texts: Repository<ConsentTextEntity>,
    @InjectRepository(ConsentGrantEntity) private readonly grants: Repository<ConsentGrantEntity>,
  ) {}

  // The newest version of each purpose's text.
  currentTexts(manager?: EntityManager): Promise<ConsentTextEntity[]> {
    return (manager?.getRepository(ConsentTextEntity) ?? this.texts)
      .createQueryBuilder('t')
      .distinctOn(['t.purpose'])
      .orderBy('t.purpose', 'ASC')
      .addOrderBy('t.version', 'DESC')
      .getMany();
  }

  currentText(purpose: ConsentPurpose, manager?: EntityManager): Promise<ConsentTextEntity | null> {
    return (manager?.getRepository(ConsentTextEntity) ?? this.texts).findOne({
      where: { purpose },
      order: { version: 'DESC' },
    });
  }

  allTexts(purpose?: ConsentPurpose): Promise<ConsentTextEntity[]> {
    return this.texts.find({
      where: purpose ? { purpose } : {},
      order: { purpose: 'ASC', version: 'DESC' },
    });
  }

  // Serialises publishers of one purpose so that two cannot take the same version number.
  async lockTexts(purpose: ConsentPurpose, manager: EntityManager): Promise<void> {
    await manager.query(`SELECT pg_advisory_xact_lock($1::int, hashtext($2::text))`, [
      LOCK_SPACE,
      `texts:${purpose}`,
    ]);
  }

  // One person's consent to one purpose: changes take the lock exclusively, the consent gate
  // shares it. A withdrawal therefore waits for a join or accept that already passed the gate
  // to commit (and then removes that person), and a join after the withdrawal sees it.
  async lockPerson(
    userId: string,
    purpose: ConsentPurpose,
    mode: 'change' | 'check',
    manager: EntityManager,
  ): Promise<void> {
    const { text, values } = lockPersonStatement(userId, purpose, mode);
    await manager.query(text, values);
  }

  // The consent gate's check in one round trip: the shared lock (lockPerson 'check') and,
  // behind it (behindLock, so read after the lock is granted), whether the person's grant in
  // force is of the purpose's current text, in one statement.
  async inForceOfCurrentText(
    userId: string,
    purpose: ConsentPurpose,
    manager: EntityManager,
  ): Promise<boolean> {
    const { result } = await behindLock(
      manager,
      lockPersonStatement(userId, purpose, 'check'),
      () => preparedRows<{ ok: boolean }>(manager, IN_FORCE_OF_CURRENT_TEXT, [userId, purpose]),
    );
    return result[0]?.ok === true;
  }

  insertText(
    row: Pick<ConsentTextEntity, 'purpose' | 'version' | 'text' | 'publishedAt'>,
    manager: EntityManager,
  ): Promise<ConsentTextEntity> {
    const repo = manager.getRepository(ConsentTextEntity);
    return repo.save(repo.create(row));
  }

  grantsOf(userId: string, manager?: EntityManager): Promise<ConsentGrantEntity[]> {
    return (manager?.getRepository(ConsentGrantEntity) ?? this.grants).find({
      where: { userId },
      order: { grantedAt: 'ASC', id: 'ASC' },
    });
  }

  inForce(
    userId: string,
    purpose: ConsentPurpose,
    manager?: EntityManager,
  ): Promise<ConsentGrantEntity | null> {
    return (manager?.getRepository(ConsentGrantEntity) ?? this.grants).findOne({
      where: { userId, purpose, withdrawnAt: IsNull(), supersededAt: IsNull() },
    });
  }

  async supersede(id: string, at: Date, manager: EntityManager): Promise<void> {
    await manager.getRepository(ConsentGrantEntity).update({ id }, { supersededAt: at });
  }

  async withdraw(id: string, at: Date, manager: EntityManager): Promise<void> {
    await manager.getRepository(ConsentGrantEntity).update({ id }, { withdrawnAt: at });
  }

  insertGrant(row: NewGrant, manager?: EntityManager): Promise<ConsentGrantEntity> {
    const repo = manager?.getRepository(ConsentGrantEntity) ?? this.grants;
    return repo.save(repo.create({ ...row, withdrawnAt: null, supersededAt: null }));
  }

  // Erasure: the facts of consent stay (evidence), where they came from goes, and nothing is
  // in force any more. Returns the rows changed.
  async eraseOrigins(userId: string, at: Date, manager: EntityManager): Promise<number> {
    const result = await manager
      .getRepository(ConsentGrantEntity)
      .createQueryBuilder()
      .update()
      .set({
        ip: null,
        userAgent: null,
        withdrawnAt: () =>
          `CASE WHEN withdrawn_at IS NULL AND superseded_at IS NULL THEN :at ELSE withdrawn_at END`,
      })
      .where(
        `user_id = :userId AND (ip IS NOT NULL OR user_agent IS NOT NULL
          OR (withdrawn_at IS NULL AND superseded_at IS NULL))`,
        { userId, at },
      )
      .execute();
    return result.affected ?? 0;
  }
}
