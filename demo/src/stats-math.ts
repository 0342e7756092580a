// Call quality from RTCPeerConnection.getStats(), as pure arithmetic over plain objects so it
// can be unit-tested with a fake report. Field names are those of the W3C webrtc-stats spec.

export interface StatEntry {
  id: string;
  type: string;
  timestamp: number;
  [field: string]: unknown;
}

export interface QualitySample {
  timestamp: number;
  bytesReceived: number;
  packetsReceived: number;
  packetsLost: number;
  framesDecoded: number;
  rttMs: number;
  jitterMs: number;
  // Over the interval since the previous sample (cumulative on the first one).
  packetLossPct: number;
  bitrateKbps: number;
  // Candidate types of the selected pair: host, srflx, prflx or relay.
  localCandidateType: string | undefined;
  remoteCandidateType: string | undefined;
}

function num(entry: StatEntry | undefined, field: string): number {
  const value = entry?.[field];
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

function str(entry: StatEntry | undefined, field: string): string | undefined {
  const value = entry?.[field];
  return typeof value === 'string' ? value : undefined;
}

// The candidate pair media flows over: the transport names it; otherwise the nominated,
// succeeded pair (some browsers do not fill selectedCandidatePairId).
export function selectedPair(entries: StatEntry[]): StatEntry | undefined {
  const byId = new Map(entries.map((e) => [e.id, e]));
  for (const transport of entries.filter((e) => e.type === 'transport')) {
    const pair = byId.get(str(transport, 'selectedCandidatePairId') ?? '');
    if (pair) return pair;
  }
  return entries.find(
    (e) => e.type === 'candidate-pair' && e['nominated'] === true && e['state'] === 'succeeded',
  );
}

export function summarize(entries: StatEntry[], previous?: QualitySample): QualitySample {
  const byId = new Map(entries.map((e) => [e.id, e]));
  const inbound = entries.filter((e) => e.type === 'inbound-rtp');
  const pair = selectedPair(entries);

  const bytesReceived = inbound.reduce((sum, e) => sum + num(e, 'bytesReceived'), 0);
  const packetsReceived = inbound.reduce((sum, e) => sum + num(e, 'packetsReceived'), 0);
  const packetsLost = inbound.reduce((sum, e) => sum + num(e, 'packetsLost'), 0);
  const framesDecoded = inbound
    .filter((e) => e['kind'] === 'video')
    .reduce((sum, e) => sum + num(e, 'framesDecoded'), 0);
  // Jitter is per stream; the worst one is what the user notices.
  const jitterMs = Math.max(0, ...inbound.map((e) => num(e, 'jitter') * 1000));
  const rttMs = num(pair, 'currentRoundTripTime') * 1000;
  const timestamp = Math.max(0, ...entries.map((e) => e.timestamp));

  const base = previous && previous.timestamp < timestamp ? previous : undefined;
  const received = packetsReceived - (base?.packetsReceived ?? 0);
  const lost = packetsLost - (base?.packetsLost ?? 0);
  const packetLossPct = received + lost > 0 ? (Math.max(0, lost) / (received + lost)) * 100 : 0;
  const bitrateKbps = base
    ? ((bytesReceived - base.bytesReceived) * 8) / (timestamp - base.timestamp)
    : 0;

  return {
    timestamp,
    bytesReceived,
    packetsReceived,
    packetsLost,
    framesDecoded,
    rttMs: round(rttMs),
    jitterMs: round(jitterMs),
    packetLossPct: round(packetLossPct),
    bitrateKbps: round(Math.max(0, bitrateKbps)),
    localCandidateType: str(byId.get(str(pair, 'localCandidateId') ?? ''), 'candidateType'),
    remoteCandidateType: str(byId.get(str(pair, 'remoteCandidateId') ?? ''), 'candidateType'),
  };
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
