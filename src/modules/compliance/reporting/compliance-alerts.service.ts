import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { AuthUser } from '../../../common/auth/auth-user';
import { AppException } from '../../../common/errors/app.exception';
import { AppConfig } from '../../../config/app-config';
import { AuditAction, AuditOutcome } from '../../audit/audit-action';
import type { RequestContext } from '../../audit/audit-context';
import { AuditService } from '../../audit/audit.service';
import {
  AuditPatterns,
  type AlarmCandidateRow,
} from '../../audit/access-report/audit-patterns.service';
import { WebhooksService } from '../../webhooks/webhooks.service';
import { planPass, windowOf, type AlertThresholds } from './alert-rules';
import { AlertKind, AlertStatus, type ComplianceAlertEntity } from './compliance-alert.entity';
import { ComplianceAlertsMetrics } from './compliance-alerts.metrics';
import { ComplianceAlertsRepository, type NewAlert } from './compliance-alerts.repository';

// Audit records one pass reads at most; a longer backlog is read by the next passes.
export const SCAN_BATCH = 2000;

export interface AlertPage {
  items: ComplianceAlertEntity[];
  nextCursor: string | null;
}

const encodeCursor = (a: ComplianceAlertEntity): string =>
  Buffer.from(`${a.raisedAt.toISOString()}|${a.id}`).toString('base64url');

function decodeCursor(cursor: string): { raisedAt: Date; id: string } {
  const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const raisedAt = new Date(at);
  if (!id || Number.isNaN(raisedAt.getTime()) || !/^[0-9a-f-]{36}$/.test(id)) {
    throw AppException.validation([
      { field: 'cursor', messages: ['cursor must be a nextCursor value'] },
    ]);
  }
  return { raisedAt, id };
}

// Bulk-access and break-glass alarms (docs/compliance.md, C17). The patterns are read from the
// audit trail in the shared database, after a cursor kept there too: whichever instance scans
// sees every instance's records, one instance scans at a time (the cursor row's lock), and an
// alert is raised once per kind and key (a unique constraint), so nothing depends on the
// memory of one instance.
@Injectable()
export class ComplianceAlertsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly repository: ComplianceAlertsRepository,
    private readonly patterns: AuditPatterns,
    private readonly audit: AuditService,
    private readonly webhooks: WebhooksService,
    private readonly metrics: ComplianceAlertsMetrics,
    private readonly config: AppConfig,
  ) {}

  private get thresholds(): AlertThresholds {
    return this.config.alerts;
  }

  // One pass over the records written since the last one; the alerts it raised. A pass that
  // finds another instance scanning does nothing (that one reads the same records).
  async scanOnce(): Promise<ComplianceAlertEntity[]> {
    const raised: ComplianceAlertEntity[] = [];
    await this.dataSource.transaction(async (m) => {
      const lastSeq = await this.repository.claimScan(m);
      if (lastSeq === null) return;
      // The head is read first: a record committed after it is left for the next pass, never
      // skipped (seqs become visible in order, the chain lock is held to each commit).
      const head = await this.patterns.headSeq();
      const rows = await this.patterns.candidatesBetween(lastSeq, head, SCAN_BATCH);
      const upTo = rows.length === SCAN_BATCH ? rows[rows.length - 1].seq : head;
      for (const a of await this.alertsOf(rows)) {
        const alert = await this.raise(a, m);
        if (alert) raised.push(alert);
      }
      await this.repository.advanceScan(upTo, m);
    });
    for (const a of raised) this.metrics.alert(a.kind);
    return raised;
  }

  private async alertsOf(rows: AlarmCandidateRow[]): Promise<NewAlert[]> {
    const t = this.thresholds;
    const plan = planPass(rows, t);
    const out: NewAlert[] = plan.immediate.map(({ kind, row, count, threshold }) => ({
      kind,
      actorUserId: row.actorId,
      dedupKey: `seq:${row.seq}`,
      windowStart: row.occurredAt,
      windowEnd: row.occurredAt,
      count,
      threshold,
      triggerSeq: row.seq,
      details:
        kind === AlertKind.BreakGlass
          ? { patientId: row.subjectId, grantId: row.resourceId }
          : { fromSeq: row.details.fromSeq ?? null, toSeq: row.details.toSeq ?? null },
    }));
    for (const [actorId, row] of plan.reads) {
      const since = new Date(row.occurredAt.getTime() - 3_600_000);
      const count = await this.patterns.patientsReadBy(actorId, since, row.occurredAt);
      if (count <= t.recordReadsPerHour) continue;
      const w = windowOf(row.occurredAt, 60);
      out.push({
        kind: AlertKind.RecordReads,
        actorUserId: actorId,
        dedupKey: `${actorId}:${w.start.toISOString()}`,
        windowStart: since,
        windowEnd: row.occurredAt,
        count,
        threshold: t.recordReadsPerHour,
        triggerSeq: row.seq,
        details: {},
      });
    }
    for (const [actorId, row] of plan.denials) {
      const since = new Date(row.occurredAt.getTime() - t.deniedWindowMinutes * 60_000);
      const count = await this.patterns.deniedFor(actorId, since, row.occurredAt);
      if (count < t.deniedAccesses) continue;
      const w = windowOf(row.occurredAt, t.deniedWindowMinutes);
      out.push({
        kind: AlertKind.DeniedAccesses,
        actorUserId: actorId,
        dedupKey: `${actorId}:${w.start.toISOString()}`,
        windowStart: since,
        windowEnd: row.occurredAt,
        count,
        threshold: t.deniedAccesses,
        triggerSeq: row.seq,
        details: {},
      });
    }
    return out;
  }

  // The alert row, its audit record and its webhook event commit together.
  private async raise(a: NewAlert, m: EntityManager): Promise<ComplianceAlertEntity | null> {
    const alert = await this.repository.insertOnce(a, m);
    if (!alert) return null;
    await this.audit.record(
      {
        action: AuditAction.ComplianceAlertRaise,
        outcome: AuditOutcome.Success,
        actor: { userId: null, role: 'system' },
        resource: { type: 'compliance_alert', id: alert.id },
        subjectId: alert.actorUserId,
        details: {
          kind: alert.kind,
          count: alert.count,
          threshold: alert.threshold,
          triggerSeq: alert.triggerSeq,
        },
      },
      m,
    );
    await this.webhooks.publish(m, 'compliance.alert', {
      alertId: alert.id,
      kind: alert.kind,
      userId: alert.actorUserId,
      count: alert.count,
      threshold: alert.threshold,
      windowStart: alert.windowStart.toISOString(),
      windowEnd: alert.windowEnd.toISOString(),
      raisedAt: alert.raisedAt.toISOString(),
    });
    return alert;
  }

  async list(
    status: AlertStatus | undefined,
    cursor: string | null,
    limit: number,
    ctx: RequestContext,
  ): Promise<AlertPage> {
    const after = cursor === null ? null : decodeCursor(cursor);
    await this.audit.record({
      action: AuditAction.ComplianceAlertsRead,
      outcome: AuditOutcome.Success,
      actor: ctx.actor,
      requestId: ctx.requestId,
      resource: { type: 'compliance_alert' },
      details: { status, cursor: cursor ?? undefined, limit },
    });
    const rows = await this.repository.findPage(status, after, limit + 1);
    const items = rows.slice(0, limit);
    return {
      items,
      nextCursor: rows.length > limit ? encodeCursor(items[items.length - 1]) : null,
    };
  }

  // The note stays on the alert (it may name people); the trail records who and when.
  async acknowledge(
    id: string,
    note: string,
    user: AuthUser,
    ctx: RequestContext,
  ): Promise<ComplianceAlertEntity> {
    return this.dataSource.transaction(async (m) => {
      const alert = await this.repository.findById(id, m);
      if (!alert) throw AppException.notFound('The alert');
      if (alert.status === AlertStatus.Acknowledged) {
        throw AppException.conflict('The alert is already acknowledged.');
      }
      await this.repository.acknowledge(id, user.id, note, m);
      await this.audit.record(
        {
          action: AuditAction.ComplianceAlertAcknowledge,
          outcome: AuditOutcome.Success,
          actor: ctx.actor,
          requestId: ctx.requestId,
          resource: { type: 'compliance_alert', id },
          subjectId: alert.actorUserId,
          details: { kind: alert.kind },
        },
        m,
      );
      const updated = await this.repository.findById(id, m);
      if (!updated) throw AppException.notFound('The alert');
      return updated;
    });
  }
}
