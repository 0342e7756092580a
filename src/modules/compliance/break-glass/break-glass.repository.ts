import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Brackets, type EntityManager, Repository } from 'typeorm';
import type { CursorPosition } from '../../../common/http/cursor';
import { BreakGlassGrantEntity } from './break-glass-grant.entity';
import { BreakGlassStatus } from './dto/break-glass.dto';

export interface GrantSearch {
  doctorId?: string;
  patientId?: string;
  status?: BreakGlassStatus;
  after?: CursorPosition;
  limit: number;
}

// The only code that touches break_glass_grants.
@Injectable()
export class BreakGlassRepository {
  constructor(
    @InjectRepository(BreakGlassGrantEntity)
    private readonly grants: Repository<BreakGlassGrantEntity>,
  ) {}

  private repo(manager?: EntityManager): Repository<BreakGlassGrantEntity> {
    return manager ? manager.getRepository(BreakGlassGrantEntity) : this.grants;
  }

  async insert(
    grant: Pick<BreakGlassGrantEntity, 'doctorId' | 'patientId' | 'reason'>,
    minutes: number,
    manager: EntityManager,
  ): Promise<BreakGlassGrantEntity> {
    // Start and expiry from the database clock, the one every instance shares, to the
    // millisecond like the API's times and page cursors.
    const result = await manager
      .createQueryBuilder()
      .insert()
      .into(BreakGlassGrantEntity)
      .values({
        ...grant,
        startedAt: () => `date_trunc('milliseconds', now())`,
        expiresAt: () =>
          `date_trunc('milliseconds', now()) + make_interval(mins => ${Math.trunc(minutes)})`,
      })
      .returning('id')
      .execute();
    const [{ id }] = result.raw as { id: string }[];
    return manager.getRepository(BreakGlassGrantEntity).findOneByOrFail({ id });
  }

  findById(id: string, manager?: EntityManager): Promise<BreakGlassGrantEntity | null> {
    return this.repo(manager).findOne({ where: { id } });
  }

  findByIdForUpdate(id: string, manager: EntityManager): Promise<BreakGlassGrantEntity | null> {
    return manager
      .getRepository(BreakGlassGrantEntity)
      .findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  // The doctor's grant for the patient that is live now (by the database clock).
  async findActive(
    doctorId: string,
    patientId: string,
    manager?: EntityManager,
  ): Promise<BreakGlassGrantEntity | null> {
    return this.repo(manager)
      .createQueryBuilder('g')
      .where('g.doctor_id = :doctorId AND g.patient_id = :patientId', { doctorId, patientId })
      .andWhere('g.ended_at IS NULL AND g.expires_at > now()')
      .orderBy('g.expires_at', 'DESC')
      .getOne();
  }

  // Every grant of the doctor live now, the latest-expiring last (so it wins in a map).
  findActiveOfDoctor(doctorId: string): Promise<BreakGlassGrantEntity[]> {
    return this.repo()
      .createQueryBuilder('g')
      .where('g.doctor_id = :doctorId', { doctorId })
      .andWhere('g.ended_at IS NULL AND g.expires_at > now()')
      .orderBy('g.expires_at', 'ASC')
      .getMany();
  }

  async end(id: string, endedById: string, manager: EntityManager): Promise<void> {
    await manager
      .getRepository(BreakGlassGrantEntity)
      .update({ id }, { endedAt: () => 'now()', endedById });
  }

  search(search: GrantSearch): Promise<BreakGlassGrantEntity[]> {
    const qb = this.repo().createQueryBuilder('g');
    if (search.doctorId) qb.andWhere('g.doctor_id = :doctorId', { doctorId: search.doctorId });
    if (search.patientId) qb.andWhere('g.patient_id = :patientId', { patientId: search.patientId });
    switch (search.status) {
      case BreakGlassStatus.Active:
        qb.andWhere('g.ended_at IS NULL AND g.expires_at > now()');
        break;
      case BreakGlassStatus.Ended:
        qb.andWhere('g.ended_at IS NOT NULL');
        break;
      case BreakGlassStatus.Expired:
        qb.andWhere('g.ended_at IS NULL AND g.expires_at <= now()');
        break;
      case undefined:
        break;
    }
    const after = search.after;
    if (after) {
      qb.andWhere(
        new Brackets((w) => {
          w.where('g.started_at < :at', { at: after.at }).orWhere(
            'g.started_at = :at AND g.id < :id',
            { at: after.at, id: after.id },
          );
        }),
      );
    }
    return qb
      .orderBy('g.started_at', 'DESC')
      .addOrderBy('g.id', 'DESC')
      .take(search.limit)
      .getMany();
  }

  // Claims expired grants whose expiry is not yet recorded. SKIP LOCKED: instances sweeping
  // at the same moment take different rows, and the flag set in the same transaction as the
  // audit record means each expiry is recorded exactly once.
  async claimExpired(limit: number, manager: EntityManager): Promise<BreakGlassGrantEntity[]> {
    const rows = await manager
      .getRepository(BreakGlassGrantEntity)
      .createQueryBuilder('g')
      .where('g.ended_at IS NULL AND g.expiry_recorded_at IS NULL AND g.expires_at <= now()')
      .orderBy('g.expires_at', 'ASC')
      .take(limit)
      .setLock('pessimistic_write')
      .setOnLocked('skip_locked')
      .getMany();
    if (rows.length > 0) {
      await manager
        .getRepository(BreakGlassGrantEntity)
        .createQueryBuilder()
        .update()
        .set({ expiryRecordedAt: () => 'now()' })
        .whereInIds(rows.map((r) => r.id))
        .execute();
    }
    return rows;
  }

  // For the data export: every grant where the person is the doctor or the patient.
  findInvolving(userId: string, manager: EntityManager): Promise<BreakGlassGrantEntity[]> {
    return manager.getRepository(BreakGlassGrantEntity).find({
      where: [{ doctorId: userId }, { patientId: userId }],
      order: { startedAt: 'ASC' },
    });
  }

  // Erasure of a patient: the written reasons may describe their condition.
  async redactReasonsAbout(patientId: string, manager: EntityManager): Promise<number> {
    const result = await manager
      .getRepository(BreakGlassGrantEntity)
      .update({ patientId }, { reason: '[erased]' });
    return result.affected ?? 0;
  }
}
