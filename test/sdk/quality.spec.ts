import {
  DEFAULT_THRESHOLDS,
  qualityLevel,
  QualityTracker,
  readStats,
} from '../../packages/client/src/quality';

// The quality level's thresholds (docs/sdk.md, "Quality level") and the reading of getStats().
describe('sdk quality: thresholds', () => {
  it('is good at or below every good bound, poor above any poor bound, fair between', () => {
    const t = DEFAULT_THRESHOLDS;
    expect(qualityLevel({ rttMs: t.rttMs.good, packetLossPct: 1, jitterMs: 30 })).toBe('good');
    expect(qualityLevel({ rttMs: 301, packetLossPct: 0, jitterMs: 5 })).toBe('fair');
    expect(qualityLevel({ rttMs: 800, packetLossPct: 5, jitterMs: 50 })).toBe('fair');
    expect(qualityLevel({ rttMs: 801 })).toBe('poor');
    expect(qualityLevel({ rttMs: 20, packetLossPct: 5.1 })).toBe('poor');
    expect(qualityLevel({ rttMs: 20, jitterMs: 51 })).toBe('poor');
  });

  it('takes the worst figure, and knows nothing without a figure', () => {
    expect(qualityLevel({ rttMs: 50, packetLossPct: 2, jitterMs: 60 })).toBe('poor');
    expect(qualityLevel({ bitrateKbps: 900 })).toBeUndefined();
    expect(qualityLevel({ rttMs: Number.NaN, jitterMs: 10 })).toBe('good');
  });

  it('honours thresholds of the app', () => {
    const strict = { ...DEFAULT_THRESHOLDS, rttMs: { good: 100, poor: 200 } };
    expect(qualityLevel({ rttMs: 150 }, strict)).toBe('fair');
  });
});

describe('sdk quality: a level changes only when two readings agree', () => {
  it('ignores one bad reading and follows two', () => {
    const tracker = new QualityTracker();
    expect(tracker.push({})).toBeUndefined();
    expect(tracker.push({ rttMs: 40 })).toBe('good');
    expect(tracker.push({ rttMs: 900 })).toBe('good');
    expect(tracker.push({ rttMs: 40 })).toBe('good');
    expect(tracker.push({ rttMs: 900 })).toBe('good');
    expect(tracker.push({ rttMs: 950 })).toBe('poor');
    expect(tracker.push({ rttMs: 400 })).toBe('poor');
    expect(tracker.push({ rttMs: 40 })).toBe('poor');
    expect(tracker.push({ rttMs: 40 })).toBe('good');
    expect(tracker.level).toBe('good');
  });
});

describe('sdk quality: reading getStats()', () => {
  const report = (lost: number, received: number, bytes: number) => [
    {
      id: 'cp',
      type: 'candidate-pair',
      nominated: true,
      state: 'succeeded',
      currentRoundTripTime: 0.12,
    },
    { id: 'cp2', type: 'candidate-pair', nominated: false, currentRoundTripTime: 3 },
    {
      id: 'a',
      type: 'inbound-rtp',
      packetsReceived: received,
      packetsLost: lost,
      bytesReceived: bytes,
      jitter: 0.012,
    },
    {
      id: 'v',
      type: 'inbound-rtp',
      packetsReceived: received,
      packetsLost: 0,
      bytesReceived: bytes,
      jitter: 0.004,
    },
  ];

  it('takes RTT from the selected pair, the worst jitter, and loss and bitrate since the last reading', () => {
    const first = readStats(report(0, 100, 10_000), undefined, 1000);
    expect(first.sample).toEqual({ rttMs: 120, jitterMs: 12 });
    const second = readStats(report(4, 148, 260_000), first.counters, 3000);
    // 4 lost of 100 sent in the interval (96 + 4), bitrate (500 000 bytes in 2 s).
    expect(second.sample).toEqual({
      rttMs: 120,
      jitterMs: 12,
      packetLossPct: 4,
      bitrateKbps: 2000,
    });
  });

  it('falls back to the RTCP round trip when no pair reports one', () => {
    const { sample } = readStats(
      [{ id: 'r', type: 'remote-inbound-rtp', roundTripTime: 0.25 }],
      undefined,
      0,
    );
    expect(sample).toEqual({ rttMs: 250 });
  });
});
