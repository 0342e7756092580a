import { Injectable } from '@nestjs/common';
import type { Counter, Gauge, Histogram } from 'prom-client';
import { MetricsService } from '../../infra/metrics/metrics.service';

const SECONDS = [0.5, 1, 2, 3, 5, 8, 13, 20, 30, 45, 60];

// Names follow Prometheus' conventions (docs/operations.md, "Metrics"): base units (seconds,
// ratios, bytes per second), `_total` on counters. Clients report milliseconds, percent and
// kbit/s; CallsService converts them on the way in.

@Injectable()
export class CallsMetrics {
  readonly total: Counter<'status' | 'end_reason' | 'type'>;
  readonly active: Gauge;
  readonly setupSeconds: Histogram;
  readonly ringSeconds: Histogram;
  readonly rttSeconds: Histogram;
  readonly jitterSeconds: Histogram;
  readonly packetLossRatio: Histogram;
  readonly bitrateBytesPerSecond: Histogram;

  constructor(metrics: MetricsService) {
    this.total = metrics.counter(
      'hekim_calls_total',
      'Finished direct calls by final status, end reason and type',
      ['status', 'end_reason', 'type'],
    );
    this.active = metrics.gauge(
      'hekim_calls_active',
      'Direct calls currently active (all instances)',
    );
    this.setupSeconds = metrics.histogram(
      'hekim_call_setup_seconds',
      'Time from call initiation to the first answer',
      [],
      SECONDS,
    );
    this.ringSeconds = metrics.histogram(
      'hekim_call_ring_seconds',
      'Time a call rang before it was answered, rejected, cancelled or missed',
      [],
      SECONDS,
    );
    this.rttSeconds = metrics.histogram(
      'hekim_call_rtt_seconds',
      'Round-trip time reported by call clients',
      [],
      [0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2],
    );
    this.jitterSeconds = metrics.histogram(
      'hekim_call_jitter_seconds',
      'Jitter reported by call clients',
      [],
      [0.001, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.2],
    );
    this.packetLossRatio = metrics.histogram(
      'hekim_call_packet_loss_ratio',
      'Packet loss reported by call clients, as a ratio (0.01 = 1%)',
      [],
      [0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5],
    );
    // Bytes, Prometheus' base unit of information: 1 kbit/s is 125 B/s.
    this.bitrateBytesPerSecond = metrics.histogram(
      'hekim_call_bitrate_bytes_per_second',
      'Media bitrate reported by call clients, in bytes per second',
      [],
      [4e3, 8e3, 16e3, 32e3, 64e3, 125e3, 250e3, 500e3, 1e6],
    );
  }
}
