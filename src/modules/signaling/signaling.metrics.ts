import { Injectable } from '@nestjs/common';
import type { Counter, Gauge } from 'prom-client';
import { MetricsService } from '../../infra/metrics/metrics.service';

@Injectable()
export class SignalingMetrics {
  readonly sockets: Gauge;
  readonly joins: Counter;
  readonly relayed: Counter<'event'>;
  readonly handshakeRefused: Counter<'reason'>;
  readonly rateLimited: Counter;

  constructor(metrics: MetricsService) {
    this.sockets = metrics.gauge(
      'hekim_signaling_sockets',
      'Signaling sockets connected to this instance',
    );
    this.joins = metrics.counter(
      'hekim_signaling_joins_total',
      'Successful room joins (including admissions)',
    );
    this.relayed = metrics.counter(
      'hekim_signaling_relayed_total',
      'Relayed signaling messages by event',
      ['event'],
    );
    this.handshakeRefused = metrics.counter(
      'hekim_signaling_handshake_refused_total',
      'Refused signaling handshakes by reason',
      ['reason'],
    );
    this.rateLimited = metrics.counter(
      'hekim_signaling_rate_limited_total',
      'Signaling events refused by the rate limit',
    );
  }
}
