// The call-quality level shown to people (good / fair / poor) and the figures reported to the
// server as `call:stats`, derived from getStats(). Pure: no timers, no peer connection.
//
// Thresholds (docs/sdk.md, "Quality level", gives the reasoning):
// - round-trip time: ITU-T G.114 keeps one-way mouth-to-ear delay under 150 ms for a natural
//   conversation (RTT ≤ 300 ms); beyond 400 ms one way (RTT > 800 ms) people talk over each other.
// - packet loss: Opus with in-band FEC and video with NACK/FEC conceal ~1 %; above 5 % speech
//   breaks up and video freezes.
// - jitter: above 30 ms the jitter buffer starts adding audible delay; above 50 ms it drops
//   late packets.
// The level is that of the worst figure.

export type QualityLevel = 'good' | 'fair' | 'poor';

export interface QualityThresholds {
  // A figure at or below `good` is good; above `poor` it is poor; in between fair.
  rttMs: { good: number; poor: number };
  packetLossPct: { good: number; poor: number };
  jitterMs: { good: number; poor: number };
}

export const DEFAULT_THRESHOLDS: QualityThresholds = {
  rttMs: { good: 300, poor: 800 },
  packetLossPct: { good: 1, poor: 5 },
  jitterMs: { good: 30, poor: 50 },
};

// One reading, as `call:stats` carries it (every figure optional: not every implementation
// reports every one, and there is no loss figure before any packet arrived).
export interface QualitySample {
  rttMs?: number;
  jitterMs?: number;
  packetLossPct?: number;
  bitrateKbps?: number;
}

const RANK: Record<QualityLevel, number> = { good: 0, fair: 1, poor: 2 };

function levelOf(value: number | undefined, bounds: { good: number; poor: number }): QualityLevel {
  if (value === undefined || !Number.isFinite(value)) return 'good';
  if (value <= bounds.good) return 'good';
  if (value > bounds.poor) return 'poor';
  return 'fair';
}

// The level of one sample: the worst of its figures; a sample with no figure at all is
// `undefined` (nothing known yet), not `good`.
export function qualityLevel(
  sample: QualitySample,
  thresholds: QualityThresholds = DEFAULT_THRESHOLDS,
): QualityLevel | undefined {
  if (
    sample.rttMs === undefined &&
    sample.jitterMs === undefined &&
    sample.packetLossPct === undefined
  ) {
    return undefined;
  }
  const levels = [
    levelOf(sample.rttMs, thresholds.rttMs),
    levelOf(sample.packetLossPct, thresholds.packetLossPct),
    levelOf(sample.jitterMs, thresholds.jitterMs),
  ];
  return levels.reduce((worst, l) => (RANK[l] > RANK[worst] ? l : worst), 'good');
}

// A level that changes only when two readings in a row agree (readings come every few
// seconds): one late burst of packets must not flash "poor" at a patient.
export class QualityTracker {
  private current: QualityLevel | undefined;
  private candidate: QualityLevel | undefined;

  constructor(private readonly thresholds: QualityThresholds = DEFAULT_THRESHOLDS) {}

  get level(): QualityLevel | undefined {
    return this.current;
  }

  // Returns the level after this sample.
  push(sample: QualitySample): QualityLevel | undefined {
    const level = qualityLevel(sample, this.thresholds);
    if (level === undefined) return this.current;
    if (this.current === undefined) {
      this.current = level;
    } else if (level === this.current) {
      this.candidate = undefined;
    } else if (level === this.candidate) {
      this.current = level;
      this.candidate = undefined;
    } else {
      this.candidate = level;
    }
    return this.current;
  }
}

// The counters of one getStats() reading that the next one is compared with.
export interface StatsCounters {
  timestampMs: number;
  packetsReceived: number;
  packetsLost: number;
  bytesReceived: number;
}

interface Entry {
  id: string;
  type: string;
  [field: string]: unknown;
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

// Reads one getStats() report (W3C webrtc-stats names): RTT of the selected candidate pair
// (or of RTCP from the remote side), jitter and loss of what we receive, bitrate since the
// previous reading. Returns the sample and the counters to pass next time.
export function readStats(
  entries: Iterable<Entry>,
  previous: StatsCounters | undefined,
  nowMs: number,
): { sample: QualitySample; counters: StatsCounters } {
  let rttS: number | undefined;
  let remoteRttS: number | undefined;
  let jitterS: number | undefined;
  let packetsReceived = 0;
  let packetsLost = 0;
  let bytesReceived = 0;
  for (const e of entries) {
    if (e.type === 'candidate-pair' && (e.nominated === true || e.selected === true)) {
      if (e.state === undefined || e.state === 'succeeded') {
        rttS = num(e.currentRoundTripTime) ?? rttS;
      }
    } else if (e.type === 'remote-inbound-rtp') {
      const r = num(e.roundTripTime);
      if (r !== undefined) remoteRttS = Math.max(remoteRttS ?? 0, r);
    } else if (e.type === 'inbound-rtp') {
      packetsReceived += num(e.packetsReceived) ?? 0;
      packetsLost += Math.max(0, num(e.packetsLost) ?? 0);
      bytesReceived += num(e.bytesReceived) ?? 0;
      const j = num(e.jitter);
      if (j !== undefined) jitterS = Math.max(jitterS ?? 0, j);
    }
  }
  const counters: StatsCounters = {
    timestampMs: nowMs,
    packetsReceived,
    packetsLost,
    bytesReceived,
  };
  const sample: QualitySample = {};
  const rtt = rttS ?? remoteRttS;
  if (rtt !== undefined) sample.rttMs = Math.round(rtt * 1000);
  if (jitterS !== undefined) sample.jitterMs = Math.round(jitterS * 1000);
  if (previous) {
    const received = packetsReceived - previous.packetsReceived;
    const lost = packetsLost - previous.packetsLost;
    if (received + lost > 0 && lost >= 0) {
      sample.packetLossPct = Math.round((lost / (received + lost)) * 1000) / 10;
    }
    const seconds = (nowMs - previous.timestampMs) / 1000;
    const bytes = bytesReceived - previous.bytesReceived;
    if (seconds > 0 && bytes >= 0) sample.bitrateKbps = Math.round((bytes * 8) / 1000 / seconds);
  }
  return { sample, counters };
}

// getStats() answers a Map-like report; this turns it into a list.
export function statsEntries(report: { forEach(cb: (entry: Entry) => void): void }): Entry[] {
  const out: Entry[] = [];
  report.forEach((entry) => out.push(entry));
  return out;
}
