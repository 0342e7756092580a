import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Brackets, type EntityManager, Repository } from 'typeorm';
import type { CursorPosition } from '../../common/http/cursor';
import {
  type CareEndReason,
  CareRelationshipEntity,
  type CareSource,
} from './care-relationship.entity';
import { type Prepared, preparedRows } from '../../infra/database/prepared';

export type CareFilter = 'current' | 'active' | 'follow_up' | 'ended' | 'all';

export interface CarePage {
  party: { clinicianId: string } | { patientId: string };
  filter: CareFilter;
  after: CursorPosition | undefined;
  limit: number;
}

export interface CareEnd {
  until: Date;
  endReason: CareEndReason;
  // Set when a person ended it (discharge, the patient's end, a removal).
  endedAt?: Date;
  endedBy?: string | null;
}

// Whether a relationship is active (live or in follow-up) is the database clock's call.
const ACTIVE = '(c.until IS NULL OR c.until > now())';

// The statements of every call (may the doctor and the patient ring each other; the live
// relationships of the call's room, ended with it), in plain SQL and prepared once per
// connection (docs/performance.md, scenario 5). Rows come aliased to the entity's properties.
const ACTIVE_ID: Prepared = {
  name: 'hekim_care_active_id',
  text: `SELECT c.id FROM care_relationships c
      WHERE c.clinician_id = $1 AND c.patient_id = $2 AND ${ACTIVE}
      ORDER BY c.since ASC LIMIT 1`,
};

const LIVE_FROM_SOURCE: Prepared = {
  name: 'hekim_care_live_from_source',
  text: `SELECT c.id, c.clinician_id AS "clinicianId", c.patient_id AS "patientId", c.source,
           c.source_id AS "sourceId", c.since, c.until, c.ended_at AS "endedAt",
           c.ended_by AS "endedBy", c.end_reason AS "endReason", c.created_at AS "createdAt"
      FROM care_relationships c
      WHERE c.source = $1 AND c.source_id = $2 AND c.until IS NULL
        AND ($3::uuid IS NULL OR c.clinician_id = $3 OR c.patient_id = $3)
      ORDER BY c.since ASC
      FOR UPDATE`,
};

// The only code that touches care_relationships.
@Injectable()
export class CareRepository {
  constructor(
    @InjectRepository(CareRelationshipEntity)
    private readonly relationships: Repository<CareRelationshipEntity>,
  ) {}

  private repo(manager?: EntityManager): Repository<CareRelationshipEntity> {
    return manager ? manager.getRepository(CareRelationshipEntity) : this.relationships;
  }

  // A live relationship from this source; one that existed (ended, or in follow-up) is made
  // live again by the patient's new act, keeping its id and its first `since`.
  async upsertLive(
    input: { clinicianId: string; patientId: string; source: CareSource; sourceId: string },
    manager: EntityManager,
  ): Promise<CareRelationshipEntity> {
    const rows = await manager.query<{ id: string }[]>(
      `INSERT INTO care_relationships (clinician_id, patient_id, source, source_id, since)
       VALUES ($1, $2, $3, $4, now())
       ON CONFLICT (clinician_id, patient_id, source, source_id) DO UPDATE
         SET until = NULL, ended_at = NULL, ended_by = NULL, end_reason = NULL
       RETURNING id`,
      [input.clinicianId, input.patientId, input.source, input.sourceId],
    );
    return this.repo(manager).findOneByOrFail({ id: rows[0].id });
  }

  findById(id: string, manager?: EntityManager): Promise<CareRelationshipEntity | null> {
    return this.repo(manager).findOne({ where: { id } });
  }

  findByIdForUpdate(id: string, manager: EntityManager): Promise<CareRelationshipEntity | null> {
    return this.repo(manager).findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  // The live relationships (no end yet) made from one source, optionally only those a given
  // person is a party to; locked for the caller's transaction.
  liveFromSource(
    source: CareSource,
    sourceId: string,
    manager: EntityManager,
    partyId?: string,
  ): Promise<CareRelationshipEntity[]> {
    return preparedRows<CareRelationshipEntity>(manager, LIVE_FROM_SOURCE, [
      source,
      sourceId,
      partyId ?? null,
    ]);
  }

  async setEnd(id: string, end: CareEnd, manager: EntityManager): Promise<void> {
    await this.repo(manager).update(
      { id },
      {
        until: end.until,
        endReason: end.endReason,
        ...(end.endedAt ? { endedAt: end.endedAt, endedBy: end.endedBy ?? null } : {}),
      },
    );
  }

  async activeId(clinicianId: string, patientId: string): Promise<string | null> {
    const [row] = await preparedRows<{ id: string }>(this.relationships.manager, ACTIVE_ID, [
      clinicianId,
      patientId,
    ]);
    return row?.id ?? null;
  }

  async activePatientsOf(clinicianId: string): Promise<Map<string, string>> {
    const rows = await this.relationships
      .createQueryBuilder('c')
      .select(['c.patient_id AS "patientId"', 'c.id AS "id"'])
      .where('c.clinician_id = :clinicianId', { clinicianId })
      .andWhere(ACTIVE)
      .orderBy('c.since', 'DESC')
      .getRawMany<{ patientId: string; id: string }>();
    // The oldest relationship per patient wins (the map keeps the last write).
    return new Map(rows.map((r) => [r.patientId, r.id]));
  }

  // Newest first.
  listPage(page: CarePage): Promise<CareRelationshipEntity[]> {
    const qb = this.relationships.createQueryBuilder('c');
    if ('clinicianId' in page.party)
      qb.where('c.clinician_id = :id', { id: page.party.clinicianId });
    else qb.where('c.patient_id = :id', { id: page.party.patientId });
    switch (page.filter) {
      case 'current':
        qb.andWhere(ACTIVE);
        break;
      case 'active':
        qb.andWhere('c.until IS NULL');
        break;
      case 'follow_up':
        qb.andWhere('c.until > now()');
        break;
      case 'ended':
        qb.andWhere('c.until <= now()');
        break;
      case 'all':
        break;
    }
    if (page.after) {
      const { at, id } = page.after;
      qb.andWhere(
        new Brackets((w) =>
          w
            .where('c.since < :at', { at })
            .orWhere('c.since = :at AND c.id < :cid', { at, cid: id }),
        ),
      );
    }
    return qb.orderBy('c.since', 'DESC').addOrderBy('c.id', 'DESC').limit(page.limit).getMany();
  }

  // Everything involving the person (the data export).
  involving(userId: string, manager: EntityManager): Promise<CareRelationshipEntity[]> {
    return this.repo(manager).find({
      where: [{ clinicianId: userId }, { patientId: userId }],
      order: { since: 'ASC' },
    });
  }

  // Ends at once every relationship still active that involves the person (erasure).
  async endAllInvolving(
    userId: string,
    reason: CareEndReason,
    manager: EntityManager,
  ): Promise<number> {
    const result = await this.repo(manager)
      .createQueryBuilder()
      .update()
      .set({ until: () => 'now()', endedAt: () => 'now()', endReason: reason })
      .where('(clinician_id = :userId OR patient_id = :userId)', { userId })
      .andWhere('(until IS NULL OR until > now())')
      .execute();
    return result.affected ?? 0;
  }
}
