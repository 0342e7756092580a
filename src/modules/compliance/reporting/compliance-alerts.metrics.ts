import { Injectable } from '@nestjs/common';
import type { Counter } from 'prom-client';
import { MetricsService } from '../../../infra/metrics/metrics.service';
import { AlertKind } from './compliance-alert.entity';

// Alarms raised, by kind: counted by the instance whose scan raised them, so the sum over
// instances is the number of alerts (HekimComplianceAlert, docs/operations.md).
@Injectable()
export class ComplianceAlertsMetrics {
  private readonly raised: Counter<'kind'>;

  constructor(metrics: MetricsService) {
    this.raised = metrics.counter(
      'hekim_compliance_alerts_total',
      'Compliance alerts raised (bulk record reads, break-glass starts, repeated refusals, bulk exports), by kind',
      ['kind'],
    );
    // Every kind is exported from the start (at 0), so that the alert rule sees the first one.
    for (const kind of Object.values(AlertKind)) this.raised.inc({ kind }, 0);
  }

  alert(kind: string): void {
    this.raised.inc({ kind });
  }
}
