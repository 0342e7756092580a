import { Injectable } from '@nestjs/common';
import type { Counter, Gauge, Histogram } from 'prom-client';
import { MetricsService } from '../../infra/metrics/metrics.service';

const SECONDS = [0.5, 1, 2, 3, 5, 8, 13, 20, 30, 45, 60];

@Injectable()
export class CallsMetrics {
  readonly total: Counter<'status' | 'type'>;
  readonly active: Gauge;
  readonly setupSeconds: Histogram;
  readonly ringSeconds: Histogram;
  readonly rttMs: Histogram;
  readonly jitterMs: Histogram;
  readonly packetLossPct: Histogram;
  readonly bitrateKbps: Histogram;

  constructor(metrics: MetricsService) {
    this.total = metrics.counter(
      'hekim_calls_total',
      'Finished direct calls by final status and type',
      ['status', 'type'],
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
    this.rttMs = metrics.histogram(
      'hekim_call_rtt_ms',
      'Round-trip time reported by call clients',
      [],
      [10, 25, 50, 100, 150, 200, 300, 500, 1000, 2000],
    );
    this.jitterMs = metrics.histogram(
      'hekim_call_jitter_ms',
      'Jitter reported by call clients',
      [],
      [1, 5, 10, 20, 30, 50, 100, 200],
    );
    this.packetLossPct = metrics.histogram(
      'hekim_call_packet_loss_pct',
      'Packet loss percentage reported by call clients',
      [],
      [0.1, 0.5, 1, 2, 5, 10, 20, 50],
    );
    this.bitrateKbps = metrics.histogram(
      'hekim_call_bitrate_kbps',
      'Bitrate reported by call clients',
      [],
      [32, 64, 128, 256, 512, 1000, 2000, 4000, 8000],
    );
  }
}
