// A call-quality readout: samples getStats() every few seconds, shows the numbers and, during
// a direct call, reports them to Hekim as call:stats (which feeds its quality metrics and the
// call's quality summary).
import { type QualitySample, type StatEntry, summarize } from './stats-math.js';
import type { CallStats } from './types.js';

const INTERVAL_MS = 2000;

export class QualityMonitor {
  private timer: number | undefined;
  private last: QualitySample | undefined;
  private pc: RTCPeerConnection | undefined;

  constructor(
    // The connection to sample; it changes when a peer reconnects with a new one.
    private readonly current: () => RTCPeerConnection | undefined,
    private readonly onSample: (sample: QualitySample) => void,
    private readonly report?: (stats: Omit<CallStats, 'callId'>) => Promise<unknown>,
  ) {}

  get latest(): QualitySample | undefined {
    return this.last;
  }

  start(): void {
    this.timer = window.setInterval(() => void this.sample(), INTERVAL_MS);
  }

  stop(): void {
    window.clearInterval(this.timer);
    this.timer = undefined;
  }

  async sample(): Promise<QualitySample | undefined> {
    const pc = this.current();
    if (!pc || pc.connectionState === 'closed') return undefined;
    // Counters start again on a new connection: no interval across the two.
    if (pc !== this.pc) this.last = undefined;
    this.pc = pc;
    const report = await pc.getStats();
    const entries: StatEntry[] = [];
    report.forEach((entry: StatEntry) => entries.push(entry));
    const sample = summarize(entries, this.last);
    this.last = sample;
    this.onSample(sample);
    if (this.report && pc.connectionState === 'connected') {
      const { rttMs, jitterMs, packetLossPct, bitrateKbps } = sample;
      // Quality reports are best effort: a lost one only thins the metrics.
      await this.report({ rttMs, jitterMs, packetLossPct, bitrateKbps }).catch(() => undefined);
    }
    return sample;
  }
}
