import type { AlarmCandidateRow } from '../../audit/access-report/audit-patterns.service';
import { AlertKind } from './compliance-alert.entity';

export interface AlertThresholds {
  recordReadsPerHour: number;
  deniedAccesses: number;
  deniedWindowMinutes: number;
  exportRecords: number;
}

// What one pass must check, from the new audit records it read (pure: tested alone).
export interface PassPlan {
  // Records that raise an alert by themselves (break-glass starts, bulk exports).
  immediate: { kind: AlertKind; row: AlarmCandidateRow; count: number; threshold: number }[];
  // Accounts whose reads, or refusals, must be counted over their window ending at `at`
  // (their latest such record of the pass).
  reads: Map<string, AlarmCandidateRow>;
  denials: Map<string, AlarmCandidateRow>;
}

const READS = new Set(['user.read', 'patient_profile.read', 'break_glass.access']);
// Reading patient records in bulk is a clinician's pattern; administrators reading accounts
// are counted only through their refusals.
const CLINICIAN_ROLES = new Set(['doctor']);

export function planPass(rows: AlarmCandidateRow[], t: AlertThresholds): PassPlan {
  const plan: PassPlan = { immediate: [], reads: new Map(), denials: new Map() };
  for (const row of rows) {
    if (row.outcome === 'denied') {
      if (row.actorId !== null) plan.denials.set(row.actorId, row);
    } else if (row.action === 'break_glass.start') {
      plan.immediate.push({ kind: AlertKind.BreakGlass, row, count: 1, threshold: 1 });
    } else if (row.action === 'audit.export') {
      const records = Number(row.details.records ?? 0);
      if (records > t.exportRecords) {
        plan.immediate.push({
          kind: AlertKind.BulkExport,
          row,
          count: records,
          threshold: t.exportRecords,
        });
      }
    } else if (
      READS.has(row.action) &&
      row.actorId !== null &&
      row.actorRole !== null &&
      CLINICIAN_ROLES.has(row.actorRole) &&
      row.subjectId !== row.actorId
    ) {
      plan.reads.set(row.actorId, row);
    }
  }
  return plan;
}

// The fixed window holding `at`, `minutes` long (aligned to the epoch): one alert per account
// and window however long the pattern lasts.
export function windowOf(at: Date, minutes: number): { start: Date; end: Date } {
  const ms = minutes * 60_000;
  const start = Math.floor(at.getTime() / ms) * ms;
  return { start: new Date(start), end: new Date(start + ms) };
}
