// Call quality as a person understands it: good, fair or poor, from the round-trip time,
// packet loss and jitter of the current sample (stats-math.ts). The thresholds follow the
// usual limits for conversational video (docs/demo.md, "Quality indicator"): ITU-T G.114
// keeps one-way delay under 150 ms for unimpaired talk (RTT 300 ms) and 200 ms one-way as
// the edge of acceptable (RTT 400 ms); interactive video degrades visibly above ~2 % loss
// and becomes hard to follow above ~8 %; jitter above 30 ms outgrows a typical jitter
// buffer and above 75 ms causes audible gaps. The worst of the three decides.
import type { QualitySample } from './stats-math.js';

export type QualityLevel = 'good' | 'fair' | 'poor';

export const QUALITY_THRESHOLDS = {
  fair: { rttMs: 300, packetLossPct: 2, jitterMs: 30 },
  poor: { rttMs: 400, packetLossPct: 8, jitterMs: 75 },
} as const;

type Figures = Pick<QualitySample, 'rttMs' | 'packetLossPct' | 'jitterMs'>;

function exceeds(sample: Figures, limits: Figures): boolean {
  return (
    sample.rttMs > limits.rttMs ||
    sample.packetLossPct > limits.packetLossPct ||
    sample.jitterMs > limits.jitterMs
  );
}

export function qualityLevel(sample: Figures): QualityLevel {
  if (exceeds(sample, QUALITY_THRESHOLDS.poor)) return 'poor';
  if (exceeds(sample, QUALITY_THRESHOLDS.fair)) return 'fair';
  return 'good';
}
