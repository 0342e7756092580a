import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Brackets, type EntityManager, Repository } from 'typeorm';
import type { CursorPosition } from '../../../common/http/cursor';
import {
  DestructionRecordEntity,
  ErasureRequestEntity,
  ErasureStatus,
} from './erasure-request.entity';

// The only code that touches erasure_requests and erasure_destruction_records.
@Injectable()
export class DataSubjectRepository {
  constructor(
    @InjectRepository(ErasureRequestEntity)
    private readonly requests: Repository<ErasureRequestEntity>,
  ) {}

  findOpenForUser(userId: string, manager: EntityManager): Promise<ErasureRequestEntity | null> {
    return manager
      .getRepository(ErasureRequestEntity)
      .findOne({ where: { userId, status: ErasureStatus.Open } });
  }

  // Due 30 days after the request, by the database clock. A concurrent second request from
  // the same person hits the one-open-per-user index and gets the first one back.
  async insertOpen(
    userId: string,
    dueDays: number,
    manager: EntityManager,
  ): Promise<ErasureRequestEntity> {
    await manager
      .createQueryBuilder()
      .insert()
      .into(ErasureRequestEntity)
      .values({
        userId,
        status: ErasureStatus.Open,
        // Millisecond precision, like the ISO times of the API and its page cursors.
        requestedAt: () => `date_trunc('milliseconds', now())`,
        dueAt: () =>
          `date_trunc('milliseconds', now()) + make_interval(days => ${Math.trunc(dueDays)})`,
      })
      .orIgnore()
      .execute();
    return (await this.findOpenForUser(userId, manager)) as ErasureRequestEntity;
  }

  findByIdForUpdate(id: string, manager: EntityManager): Promise<ErasureRequestEntity | null> {
    return manager
      .getRepository(ErasureRequestEntity)
      .findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  async decide(
    id: string,
    decision: { status: ErasureStatus; decidedById: string; reason: string | null },
    manager: EntityManager,
  ): Promise<ErasureRequestEntity> {
    const repo = manager.getRepository(ErasureRequestEntity);
    await repo.update({ id }, { ...decision, decidedAt: () => 'now()' });
    return repo.findOneByOrFail({ id });
  }

  listOpen(after: CursorPosition | undefined, limit: number): Promise<ErasureRequestEntity[]> {
    const qb = this.requests
      .createQueryBuilder('r')
      .where('r.status = :status', { status: ErasureStatus.Open });
    if (after) {
      qb.andWhere(
        new Brackets((w) => {
          w.where('r.due_at > :at', { at: after.at }).orWhere('r.due_at = :at AND r.id > :id', {
            at: after.at,
            id: after.id,
          });
        }),
      );
    }
    return qb.orderBy('r.due_at', 'ASC').addOrderBy('r.id', 'ASC').take(limit).getMany();
  }

  insertDestructionRecord(
    record: Pick<
      DestructionRecordEntity,
      'requestId' | 'subjectId' | 'performedById' | 'method' | 'destroyed'
    >,
    manager: EntityManager,
  ): Promise<DestructionRecordEntity> {
    const repo = manager.getRepository(DestructionRecordEntity);
    return repo.save(repo.create(record));
  }

  // For the data export: the person's own requests and what their erasure destroyed.
  async findForSubject(
    userId: string,
    manager: EntityManager,
  ): Promise<{ requests: ErasureRequestEntity[]; destructions: DestructionRecordEntity[] }> {
    return {
      requests: await manager
        .getRepository(ErasureRequestEntity)
        .find({ where: { userId }, order: { requestedAt: 'ASC' } }),
      destructions: await manager
        .getRepository(DestructionRecordEntity)
        .find({ where: { subjectId: userId }, order: { performedAt: 'ASC' } }),
    };
  }
}
