import { Injectable } from '@nestjs/common';
import type { Counter, Gauge } from 'prom-client';
import { MetricsService } from '../../../infra/metrics/metrics.service';
import type { SiemBacklog } from './siem.repository';

// SIEM forwarding (docs/siem.md#monitoring). Every instance reports the backlog, read from the
// database, so the alert (HekimSiemBacklog) fires even when no instance forwards at all.
@Injectable()
export class SiemMetrics {
  private readonly backlogRecords: Gauge;
  private readonly backlogSeconds: Gauge;
  private readonly active: Gauge;
  private readonly forwarded: Counter;
  private readonly failures: Counter;

  constructor(metrics: MetricsService) {
    this.backlogRecords = metrics.gauge(
      'hekim_siem_backlog_records',
      'Audit records the SIEM collector has not yet confirmed',
    );
    this.backlogSeconds = metrics.gauge(
      'hekim_siem_backlog_seconds',
      'Age in seconds of the oldest audit record the SIEM collector has not yet confirmed (0 when none)',
    );
    this.active = metrics.gauge(
      'hekim_siem_forwarder_active',
      '1 when this instance holds the SIEM forwarding lease, else 0',
    );
    this.forwarded = metrics.counter(
      'hekim_siem_forwarded_records_total',
      'Audit records the SIEM collector confirmed (a record sent twice counts twice)',
    );
    this.failures = metrics.counter(
      'hekim_siem_delivery_failures_total',
      'Batches the SIEM collector did not confirm (refused, unreachable, reset, timed out)',
    );
  }

  backlog(b: SiemBacklog, now: number): void {
    this.backlogRecords.set(b.records);
    this.backlogSeconds.set(b.oldestAt ? Math.max(0, (now - b.oldestAt.getTime()) / 1000) : 0);
  }

  leased(active: boolean): void {
    this.active.set(active ? 1 : 0);
  }

  delivered(records: number): void {
    this.forwarded.inc(records);
  }

  failed(): void {
    this.failures.inc();
  }
}
