// The events integrators may subscribe to (docs/notifications.md). Payloads carry ids and
import { isUuid } from '../../common/validation/ids';
// states, never health data. The catalogue grows by adding names here; a subscription may
// name an event or a `prefix.*` pattern, so `appointment.*` subscribers get the appointment
// events when they arrive.
export const WEBHOOK_EVENTS = [
  'session.started',
  'session.ended',
  'participant.waiting',
  'participant.admitted',
  'participant.left',
  'call.initiated',
  'call.accepted',
  'call.rejected',
  'call.cancelled',
  'call.missed',
  'call.ended',
  'consent.granted',
  'consent.withdrawn',
  'invitation.redeemed',
  'appointment.booked',
  'appointment.rescheduled',
  'appointment.cancelled',
  'appointment.checked_in',
  'appointment.completed',
  'appointment.no_show',
  'compliance.alert',
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

const PREFIXES = new Set(WEBHOOK_EVENTS.map((e) => e.slice(0, e.indexOf('.'))));

// A subscription entry: a known event, a known `prefix.*`, or `*` for everything.
export function isEventPattern(pattern: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('.*')) return PREFIXES.has(pattern.slice(0, -2));
  return (WEBHOOK_EVENTS as readonly string[]).includes(pattern);
}

export function matches(patterns: readonly string[], event: string): boolean {
  return patterns.some(
    (p) => p === '*' || p === event || (p.endsWith('.*') && event.startsWith(p.slice(0, -1))),
  );
}

// The keys of an event's data that name people (docs/notifications.md#events). A delivery's
// audit record lists them (`subjectIds`), so that a person's access report shows which
// receivers got an event about them (docs/compliance.md, C11).
const PERSON_KEYS = ['userId', 'userIds', 'patientId', 'clinicianId', 'callerId', 'calleeIds'];
// A group call names a bounded number of people; more is not a person list.
const MAX_SUBJECTS = 64;

export function subjectsOf(body: Record<string, unknown>): string[] {
  const data = body.data;
  if (data === null || typeof data !== 'object') return [];
  const found = new Set<string>();
  for (const key of PERSON_KEYS) {
    const value = (data as Record<string, unknown>)[key];
    for (const v of Array.isArray(value) ? (value as unknown[]) : [value]) {
      if (typeof v === 'string' && isUuid(v)) found.add(v.toLowerCase());
    }
  }
  return [...found].slice(0, MAX_SUBJECTS);
}
