import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import { RetentionRunEntity } from './retention-run.entity';

// Key of the advisory lock that lets one retention run at a time across instances.
const RETENTION_LOCK = 7_363_700_800;

// The only code that touches retention_runs.
@Injectable()
export class RetentionRepository {
  constructor(
    @InjectRepository(RetentionRunEntity) private readonly runs: Repository<RetentionRunEntity>,
  ) {}

  // False when another instance (or the command) is running retention right now.
  async tryLock(manager: EntityManager): Promise<boolean> {
    const [row] = await manager.query<{ locked: boolean }[]>(
      'SELECT pg_try_advisory_xact_lock($1) AS locked',
      [RETENTION_LOCK],
    );
    return row?.locked === true;
  }

  insert(row: Omit<RetentionRunEntity, 'id'>, manager: EntityManager): Promise<RetentionRunEntity> {
    const repo = manager.getRepository(RetentionRunEntity);
    return repo.save(repo.create(row));
  }

  latest(limit: number): Promise<RetentionRunEntity[]> {
    return this.runs.find({ order: { startedAt: 'DESC' }, take: limit });
  }
}
