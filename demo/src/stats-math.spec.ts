import { selectedPair, summarize, type StatEntry } from './stats-math';

// A trimmed getStats() report of a connected call over a relay, as Chromium shapes it.
function report(t: number, video: Partial<StatEntry>, audio: Partial<StatEntry>): StatEntry[] {
  return [
    { id: 'T01', type: 'transport', timestamp: t, selectedCandidatePairId: 'CPa' },
    {
      id: 'CPa',
      type: 'candidate-pair',
      timestamp: t,
      state: 'succeeded',
      nominated: true,
      currentRoundTripTime: 0.042,
      localCandidateId: 'Lrelay',
      remoteCandidateId: 'Rhost',
    },
    {
      id: 'CPb',
      type: 'candidate-pair',
      timestamp: t,
      state: 'failed',
      nominated: false,
      localCandidateId: 'Lhost',
      remoteCandidateId: 'Rhost',
    },
    { id: 'Lrelay', type: 'local-candidate', timestamp: t, candidateType: 'relay' },
    { id: 'Lhost', type: 'local-candidate', timestamp: t, candidateType: 'host' },
    { id: 'Rhost', type: 'remote-candidate', timestamp: t, candidateType: 'host' },
    { id: 'IV', type: 'inbound-rtp', kind: 'video', timestamp: t, ...video },
    { id: 'IA', type: 'inbound-rtp', kind: 'audio', timestamp: t, ...audio },
    { id: 'OV', type: 'outbound-rtp', kind: 'video', timestamp: t, bytesSent: 999_999 },
  ];
}

describe('call quality from getStats()', () => {
  const first = summarize(
    report(
      10_000,
      {
        bytesReceived: 100_000,
        packetsReceived: 900,
        packetsLost: 10,
        framesDecoded: 60,
        jitter: 0.004,
      },
      { bytesReceived: 20_000, packetsReceived: 90, packetsLost: 0, jitter: 0.012 },
    ),
  );

  it('reads round trip, worst jitter, decoded frames and candidate types of the selected pair', () => {
    expect(first).toMatchObject({
      rttMs: 42,
      jitterMs: 12,
      framesDecoded: 60,
      localCandidateType: 'relay',
      remoteCandidateType: 'host',
      bitrateKbps: 0,
    });
    expect(first.packetLossPct).toBe(1);
  });

  it('computes bitrate and loss over the interval since the previous sample', () => {
    const second = summarize(
      report(
        12_000,
        { bytesReceived: 300_000, packetsReceived: 1_080, packetsLost: 30, framesDecoded: 120 },
        { bytesReceived: 45_000, packetsReceived: 170, packetsLost: 0 },
      ),
      first,
    );
    // (345 000 - 120 000) bytes * 8 bits over 2 000 ms = 900 kbit/s.
    expect(second.bitrateKbps).toBe(900);
    // 20 lost out of 260 received + 20 lost in the interval.
    expect(second.packetLossPct).toBeCloseTo(7.1, 1);
    expect(second.framesDecoded).toBe(120);
  });

  it('falls back to the nominated, succeeded pair when the transport names none', () => {
    const entries = report(1, {}, {}).filter((e) => e.type !== 'transport');
    expect(selectedPair(entries)?.id).toBe('CPa');
  });

  it('answers zeros, not NaN, before anything was received', () => {
    const empty = summarize([{ id: 'T', type: 'transport', timestamp: 5 }]);
    expect(empty).toMatchObject({
      rttMs: 0,
      jitterMs: 0,
      packetLossPct: 0,
      bitrateKbps: 0,
      framesDecoded: 0,
      localCandidateType: undefined,
    });
  });

  it('ignores a previous sample that is not older (a restarted connection)', () => {
    const again = summarize(report(10_000, { bytesReceived: 5 }, {}), first);
    expect(again.bitrateKbps).toBe(0);
  });
});
