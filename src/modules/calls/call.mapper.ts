import { durationSeconds, type CallSnapshot } from './call-state-machine';
import type { CallEntity, CallQuality, MetricSummary } from './call.entity';
import type { CallQualityResponse, CallResponse, MetricSummaryResponse } from './dto/call.dto';

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

// The caller first, then the callees in the order they were rung.
function ordered(call: CallEntity): NonNullable<CallEntity['participants']> {
  const parts = call.participants ?? [];
  return [
    ...parts.filter((p) => p.userId === call.callerId),
    ...parts.filter((p) => p.userId !== call.callerId),
  ];
}

export function toSnapshot(call: CallEntity): CallSnapshot {
  return {
    callerId: call.callerId,
    group: call.isGroup,
    status: call.status,
    startedAt: call.startedAt,
    endedAt: call.endedAt,
    endReason: call.endReason,
    participants: ordered(call).map((p) => ({
      userId: p.userId,
      state: p.state,
      joinedAt: p.joinedAt,
      leftAt: p.leftAt,
    })),
  };
}

function summary(m: MetricSummary | undefined): MetricSummaryResponse | undefined {
  if (!m || m.count === 0) return undefined;
  return { min: m.min, avg: Math.round((m.sum / m.count) * 100) / 100, max: m.max };
}

export function toQualityResponse(q: CallQuality | null): CallQualityResponse | null {
  if (!q) return null;
  const out: CallQualityResponse = { reports: q.reports };
  for (const key of ['rttMs', 'jitterMs', 'packetLossPct', 'bitrateKbps'] as const) {
    const s = summary(q[key]);
    if (s) out[key] = s;
  }
  return out;
}

export function toCallResponse(call: CallEntity, now: Date = new Date()): CallResponse {
  return {
    id: call.id,
    type: call.type,
    status: call.status,
    callerId: call.callerId,
    roomId: call.roomId,
    participants: ordered(call).map((p) => ({
      userId: p.userId,
      state: p.state,
      joinedAt: iso(p.joinedAt),
      leftAt: iso(p.leftAt),
    })),
    createdAt: call.createdAt.toISOString(),
    startedAt: iso(call.startedAt),
    endedAt: iso(call.endedAt),
    durationSeconds: durationSeconds(call, now),
    endReason: call.endReason,
    quality: toQualityResponse(call.quality),
  };
}
