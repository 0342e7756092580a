import { Injectable } from '@nestjs/common';
import { PortImplementations } from '../../../common/ports/port-implementations';
import { AuditAction, AuditOutcome } from '../audit-action';
import type { RequestContext } from '../audit-context';
import { AuditRepository } from '../audit.repository';
import { AuditService } from '../audit.service';
import { toAccessReportItem, type AccessReportItem } from './access-report';

// A place every audit record is sent beyond Hekim (a SIEM collector, docs/audit.md): a
// multi-implementation port (docs/architecture.md). The access report lists these recipients
// once, beside its items, because each of the items went there too. The SIEM forwarder
// provides one by extending this class; none is configured without it.
export abstract class AuditRecordRecipient {
  // e.g. `siem:collector.hospital.example:6514`; null while not configured.
  abstract recipient(): string | null;
}

export interface AccessReportPage {
  items: AccessReportItem[];
  nextCursor: string | null;
  // Every record of the trail, these items included, also goes to these recipients.
  auditRecordsSentTo: string[];
}

export interface AccessReportQuery {
  personId: string;
  from: Date | null;
  to: Date | null;
  cursor: string | null;
  limit: number;
}

// Who touched a person's data, on what basis, and who received it (docs/compliance.md, C11):
// read from the audit trail itself, never from a second log.
@Injectable()
export class AccessReportService {
  private recipients?: AuditRecordRecipient[];

  constructor(
    private readonly repository: AuditRepository,
    private readonly audit: AuditService,
    private readonly ports: PortImplementations,
  ) {}

  // The request is recorded first (subject: the person the report is about), so the report of
  // someone asking about a person shows that too.
  async report(q: AccessReportQuery, ctx: RequestContext): Promise<AccessReportPage> {
    await this.audit.record({
      action: AuditAction.AccessReportRead,
      outcome: AuditOutcome.Success,
      actor: ctx.actor,
      requestId: ctx.requestId,
      resource: { type: 'access_report', id: q.personId },
      subjectId: q.personId,
      details: {
        from: q.from?.toISOString(),
        to: q.to?.toISOString(),
        cursor: q.cursor ?? undefined,
        limit: q.limit,
      },
    });
    const rows = await this.repository.findAboutPerson(
      q.personId,
      { from: q.from, to: q.to },
      q.cursor ?? '0',
      q.limit + 1,
    );
    const items = rows.slice(0, q.limit).map((r) => toAccessReportItem(r, q.personId));
    return {
      items,
      nextCursor: rows.length > q.limit ? items[items.length - 1].seq : null,
      auditRecordsSentTo: this.auditRecipients(),
    };
  }

  // Where every audit record goes beyond Hekim (the processing inventory lists them too).
  auditRecipients(): string[] {
    this.recipients ??= this.ports.of(AuditRecordRecipient);
    return this.recipients.map((r) => r.recipient()).filter((r): r is string => r !== null);
  }
}
