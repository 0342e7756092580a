import { Injectable } from '@nestjs/common';
import { stringify } from 'csv-stringify/sync';
import { PersonalDataRegistry } from '../../../common/personal-data/personal-data-registry';
import { Processor } from '../../../common/personal-data/processing';
import { AppConfig } from '../../../config/app-config';
import { AuditAction, AuditOutcome } from '../../audit/audit-action';
import type { RequestContext } from '../../audit/audit-context';
import { AuditService } from '../../audit/audit.service';
import { AccessReportService } from '../../audit/access-report/access-report.service';
import { WebhooksService } from '../../webhooks/webhooks.service';
import {
  buildInventory,
  INVENTORY_CSV_COLUMNS,
  inventoryRows,
  processorOf,
  type ProcessingInventory,
} from './processing-inventory';

const hostOf = (url: string | undefined): string[] => (url ? [new URL(url).host] : []);

// The record of processing activities (docs/compliance.md, C18), generated on each request
// from every personal-data contributor's declaration and the providers configured now.
@Injectable()
export class ProcessingInventoryService {
  constructor(
    private readonly registry: PersonalDataRegistry,
    private readonly config: AppConfig,
    private readonly webhooks: WebhooksService,
    private readonly accessReports: AccessReportService,
    private readonly audit: AuditService,
  ) {}

  async inventory(format: 'json' | 'csv', ctx: RequestContext): Promise<ProcessingInventory> {
    await this.audit.record({
      action: AuditAction.ProcessingInventoryRead,
      outcome: AuditOutcome.Success,
      actor: ctx.actor,
      requestId: ctx.requestId,
      resource: { type: 'processing_inventory' },
      details: { format },
    });
    const { homeCountry, processorCountries } = this.config.processing;
    const push = this.config.push;
    const hosts: Record<Processor, string[]> = {
      [Processor.Smtp]: hostOf(this.config.mail.smtpUrl),
      [Processor.Sms]: hostOf(this.config.sms.gatewayUrl),
      [Processor.Push]: [
        ...hostOf(push.apns?.url),
        ...hostOf(push.fcm?.url),
        ...(push.webPush?.allowedHosts ?? []),
      ],
      [Processor.Webhooks]: await this.webhooks.liveEndpointHosts(),
      // A SIEM forwarder names itself through the audit trail's recipients port.
      [Processor.Siem]: this.accessReports.auditRecipients().map((r) => r.replace(/^siem:/, '')),
    };
    const processors = Object.values(Processor).map((p) =>
      processorOf(p, [...new Set(hosts[p])].sort(), processorCountries, homeCountry),
    );
    return buildInventory(this.registry.all(), processors, homeCountry, new Date());
  }

  toCsv(inv: ProcessingInventory): string {
    return stringify([[...INVENTORY_CSV_COLUMNS], ...inventoryRows(inv)], {
      record_delimiter: '\r\n',
    });
  }
}
