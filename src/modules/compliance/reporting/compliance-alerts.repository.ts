import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import { AlertStatus, ComplianceAlertEntity, type AlertKind } from './compliance-alert.entity';

export interface NewAlert {
  kind: AlertKind;
  actorUserId: string | null;
  dedupKey: string;
  windowStart: Date;
  windowEnd: Date;
  count: number;
  threshold: number;
  triggerSeq: string;
  details: Record<string, unknown>;
}

@Injectable()
export class ComplianceAlertsRepository {
  constructor(
    @InjectRepository(ComplianceAlertEntity)
    private readonly alerts: Repository<ComplianceAlertEntity>,
  ) {}

  // Takes the scan row's lock for the caller's transaction, or null when another instance holds
  // it (that instance is scanning; this one skips its pass).
  async claimScan(m: EntityManager): Promise<string | null> {
    const rows = await m.query<{ last_seq: string }[]>(
      `SELECT last_seq FROM compliance_alert_scan WHERE id = 1 FOR UPDATE SKIP LOCKED`,
    );
    return rows.length > 0 ? rows[0].last_seq : null;
  }

  async advanceScan(lastSeq: string, m: EntityManager): Promise<void> {
    await m.query(
      `UPDATE compliance_alert_scan SET last_seq = GREATEST(last_seq, $1::bigint), scanned_at = now() WHERE id = 1`,
      [lastSeq],
    );
  }

  // Inserts the alert unless its kind and key already raised one; the new row, else null.
  async insertOnce(a: NewAlert, m: EntityManager): Promise<ComplianceAlertEntity | null> {
    const rows = await m.query<{ id: string }[]>(
      `INSERT INTO compliance_alerts
         (kind, actor_user_id, dedup_key, window_start, window_end, count, threshold, trigger_seq, details)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT ON CONSTRAINT compliance_alerts_dedup_key DO NOTHING
       RETURNING id`,
      [
        a.kind,
        a.actorUserId,
        a.dedupKey,
        a.windowStart,
        a.windowEnd,
        a.count,
        a.threshold,
        a.triggerSeq,
        JSON.stringify(a.details),
      ],
    );
    return rows.length > 0
      ? m.getRepository(ComplianceAlertEntity).findOneByOrFail({ id: rows[0].id })
      : null;
  }

  // Newest first; keyset on (raised_at, id).
  findPage(
    status: AlertStatus | undefined,
    after: { raisedAt: Date; id: string } | null,
    limit: number,
  ): Promise<ComplianceAlertEntity[]> {
    const q = this.alerts
      .createQueryBuilder('a')
      .orderBy('a.raisedAt', 'DESC')
      .addOrderBy('a.id', 'DESC')
      .limit(limit);
    if (status) q.andWhere('a.status = :status', { status });
    if (after) {
      q.andWhere('(a.raisedAt, a.id) < (:raisedAt, :id)', {
        raisedAt: after.raisedAt,
        id: after.id,
      });
    }
    return q.getMany();
  }

  findById(id: string, m: EntityManager): Promise<ComplianceAlertEntity | null> {
    return m.getRepository(ComplianceAlertEntity).findOne({
      where: { id },
      lock: { mode: 'pessimistic_write' },
    });
  }

  async acknowledge(id: string, by: string, note: string, m: EntityManager): Promise<void> {
    await m.getRepository(ComplianceAlertEntity).update(
      { id },
      {
        status: AlertStatus.Acknowledged,
        acknowledgedAt: () => 'now()',
        acknowledgedBy: by,
        acknowledgementNote: note,
      },
    );
  }

  // The alerts about the person or acknowledged by them (data export).
  findInvolving(userId: string, m: EntityManager): Promise<ComplianceAlertEntity[]> {
    return m.getRepository(ComplianceAlertEntity).find({
      where: [{ actorUserId: userId }, { acknowledgedBy: userId }],
      order: { raisedAt: 'ASC' },
    });
  }
}
