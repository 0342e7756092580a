import { Injectable } from '@nestjs/common';
import type { Counter, Gauge } from 'prom-client';
import { MetricsService } from '../../infra/metrics/metrics.service';
import { OutboxChannel } from './outbox-message.entity';
import type { OutboxStats } from './outbox.repository';

export type DeliveryOutcome = 'sent' | 'retry' | 'dead' | 'expired';
const OUTCOMES: DeliveryOutcome[] = ['sent', 'retry', 'dead', 'expired'];

// The relay's metrics (docs/notifications.md, alert in docs/operations.md). The backlog
// gauges are read from the database, so every instance reports the same shared queue.
@Injectable()
export class OutboxMetrics {
  readonly deliveries: Counter<'channel' | 'outcome'>;
  private readonly pending: Gauge<'channel'>;
  private readonly oldest: Gauge<'channel'>;
  private readonly dead: Gauge<'channel'>;

  constructor(metrics: MetricsService) {
    this.deliveries = metrics.counter(
      'hekim_outbox_deliveries_total',
      'Outbox delivery attempts by channel and outcome (sent, retry, dead, expired)',
      ['channel', 'outcome'],
    );
    this.pending = metrics.gauge(
      'hekim_outbox_pending',
      'Outbox messages waiting for delivery, by channel',
      ['channel'],
    );
    this.oldest = metrics.gauge(
      'hekim_outbox_oldest_pending_age_seconds',
      'Age of the oldest pending outbox message, by channel',
      ['channel'],
    );
    this.dead = metrics.gauge(
      'hekim_outbox_dead_letters',
      'Outbox messages given up after NOTIFY_MAX_ATTEMPTS, by channel',
      ['channel'],
    );
    // Every series exists from the start at 0, so rates and alerts see the first event.
    for (const channel of Object.values(OutboxChannel)) {
      for (const outcome of OUTCOMES) this.deliveries.labels(channel, outcome).inc(0);
      this.pending.labels(channel).set(0);
      this.oldest.labels(channel).set(0);
      this.dead.labels(channel).set(0);
    }
  }

  observe(stats: OutboxStats[]): void {
    for (const channel of Object.values(OutboxChannel)) {
      const s = stats.find((x) => x.channel === channel);
      this.pending.labels(channel).set(s?.pending ?? 0);
      this.oldest.labels(channel).set(s ? Number(s.oldestPendingSeconds) : 0);
      this.dead.labels(channel).set(s?.dead ?? 0);
    }
  }
}
