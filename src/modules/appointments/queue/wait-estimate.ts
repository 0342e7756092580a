// Estimated waits of a clinician's queue (docs/appointments.md, "The queue"), from how long
// their recent consultations lasted: each person ahead takes the typical length, and the one
// being seen now takes what is left of it. Pure, so that it is tested without a clock.

export interface QueueInput {
  // In queue order (appointment time, then arrival).
  waiting: { appointmentId: string; slotMinutes: number }[];
  // Seconds the clinician's recent consultations lasted, newest first (may be empty).
  recentSeconds: number[];
  // Seconds the consultation going on now has lasted, or null when the clinician is free.
  currentElapsedSeconds: number | null;
}

// The median of recent lengths (robust to one consultation that ran long); without history,
// the booked slot length of the first person waiting.
export function typicalSeconds(recent: number[], fallbackMinutes: number): number {
  const sorted = recent.filter((s) => s > 0).sort((a, b) => a - b);
  if (sorted.length === 0) return fallbackMinutes * 60;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

// Minutes each waiting person should expect, rounded up; in queue order.
export function estimateWaits(input: QueueInput): number[] {
  if (input.waiting.length === 0) return [];
  const typical = typicalSeconds(input.recentSeconds, input.waiting[0].slotMinutes);
  const current =
    input.currentElapsedSeconds === null ? 0 : Math.max(typical - input.currentElapsedSeconds, 60);
  return input.waiting.map((_, i) => Math.ceil((current + i * typical) / 60));
}
