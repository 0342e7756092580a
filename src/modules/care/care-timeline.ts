// The pure rules of a care relationship's life (docs/access-model.md), kept apart so that they
// are tested on their own.

export type CareStatus = 'active' | 'follow_up' | 'ended';

const DAY_MS = 24 * 3600 * 1000;

// Where a relationship stands at `now`: live while its source is (no end set), in follow-up
// until its end, ended after.
export function careStatus(until: Date | null, now: Date): CareStatus {
  if (until === null) return 'active';
  return until.getTime() > now.getTime() ? 'follow_up' : 'ended';
}

// The end of the follow-up after the live phase stops at `now`: CARE_FOLLOW_UP_DAYS after
// the last consultation, or now when there was none (or that window has passed already).
export function followUpEnd(lastConsultation: Date | null, now: Date, days: number): Date {
  if (!lastConsultation) return now;
  const end = lastConsultation.getTime() + days * DAY_MS;
  return new Date(Math.max(end, now.getTime()));
}

// A new end never extends an earlier one.
export function earlierEnd(current: Date | null, next: Date): Date {
  return current !== null && current.getTime() < next.getTime() ? current : next;
}
