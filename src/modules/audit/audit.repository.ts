import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, Repository } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { AuditEventEntity } from './audit-event.entity';

// Serialises appends to the chain across every instance sharing the database; held until
// the surrounding transaction ends, so the business change and its record commit together.
const CHAIN_LOCK = 0x41554449; // "AUDI"

@Injectable()
export class AuditRepository {
  constructor(
    @InjectRepository(AuditEventEntity) private readonly events: Repository<AuditEventEntity>,
  ) {}

  async lockChain(manager: EntityManager): Promise<void> {
    await manager.query('SELECT pg_advisory_xact_lock($1)', [CHAIN_LOCK]);
  }

  async head(manager: EntityManager): Promise<{ seq: string; hash: string } | null> {
    const rows = await manager.query<{ seq: string; hash: string }[]>(
      'SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1',
    );
    return rows[0] ?? null;
  }

  async append(event: AuditEventEntity, manager: EntityManager): Promise<void> {
    // jsonb `details` is a plain object; TypeORM's deep-partial type cannot see that.
    await manager
      .getRepository(AuditEventEntity)
      .insert(event as QueryDeepPartialEntity<AuditEventEntity>);
  }

  findBySeqRange(fromSeq: string, limit: number): Promise<AuditEventEntity[]> {
    return this.events
      .createQueryBuilder('e')
      .where('e.seq >= :fromSeq', { fromSeq })
      .orderBy('e.seq', 'ASC')
      .limit(limit)
      .getMany();
  }
}
