import type { AccessReportPage } from '../../audit/access-report/access-report.service';
import type { ComplianceAlertEntity } from './compliance-alert.entity';
import type { AccessReportResponse, AlertResponse } from './dto/reporting.dto';

export function toAccessReportResponse(page: AccessReportPage): AccessReportResponse {
  return {
    items: page.items.map((i) => ({
      at: i.at.toISOString(),
      actorId: i.actorId,
      actorRole: i.actorRole,
      action: i.action,
      basis: i.basis,
      ...(i.recipient !== undefined ? { recipient: i.recipient } : {}),
    })),
    nextCursor: page.nextCursor,
    auditRecordsSentTo: page.auditRecordsSentTo,
  };
}

export function toAlertResponse(a: ComplianceAlertEntity): AlertResponse {
  return {
    id: a.id,
    kind: a.kind,
    status: a.status,
    userId: a.actorUserId,
    count: a.count,
    threshold: a.threshold,
    windowStart: a.windowStart.toISOString(),
    windowEnd: a.windowEnd.toISOString(),
    triggerSeq: a.triggerSeq,
    details: a.details,
    raisedAt: a.raisedAt.toISOString(),
    acknowledgedAt: a.acknowledgedAt?.toISOString() ?? null,
    acknowledgedBy: a.acknowledgedBy,
    note: a.acknowledgementNote,
  };
}
