import { Injectable } from '@nestjs/common';
import type { Counter } from 'prom-client';
import { MetricsService } from '../../infra/metrics/metrics.service';

// The audit trail's health: records written (by the outcome they record) and records that
// could not be written. A failed write fails the action it records (docs/audit.md), so any
// failure pages (HekimAuditWriteFailures, docs/operations.md).
@Injectable()
export class AuditMetrics {
  private readonly records: Counter<'outcome'>;
  private readonly failures: Counter;

  constructor(metrics: MetricsService) {
    this.records = metrics.counter(
      'hekim_audit_records_total',
      'Audit records written, by the outcome they record (success, failure, denied)',
      ['outcome'],
    );
    this.failures = metrics.counter(
      'hekim_audit_write_failures_total',
      'Audit records that could not be written (the actions they recorded failed)',
    );
  }

  written(outcomes: readonly string[]): void {
    for (const outcome of outcomes) this.records.inc({ outcome });
  }

  failed(count: number): void {
    if (count > 0) this.failures.inc(count);
  }
}
