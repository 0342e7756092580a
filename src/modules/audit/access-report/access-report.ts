import type { AccessRecordRow } from '../audit.repository';

// What allowed someone to touch a person's data, as the access report says it
// (docs/compliance.md, C11). `administration` is an administrator, a compliance officer or the
// system acting on the account (not a care decision).
export enum AccessBasis {
  Self = 'self',
  CareRelationship = 'care_relationship',
  BreakGlass = 'break_glass',
  Export = 'export',
  Disclosure = 'disclosure',
  Administration = 'administration',
}

export interface AccessReportItem {
  seq: string;
  at: Date;
  actorId: string | null;
  actorRole: string | null;
  action: string;
  basis: AccessBasis;
  recipient?: string;
}

const CLINICAL_ROLES = new Set(['doctor']);

// One audit record about the person, as a line of their report.
export function toAccessReportItem(row: AccessRecordRow, personId: string): AccessReportItem {
  const base = {
    seq: row.seq,
    at: row.occurredAt,
    actorId: row.actorId,
    actorRole: row.actorRole ?? (row.actorId === null ? 'system' : null),
    action: row.action,
  };
  if (row.action === 'webhook.delivery') {
    return {
      ...base,
      basis: AccessBasis.Disclosure,
      recipient: `webhook_endpoint:${row.resourceId ?? 'unknown'}`,
    };
  }
  if (row.action === 'audit.export') {
    return { ...base, basis: AccessBasis.Export, recipient: 'audit_trail_export' };
  }
  if (row.action === 'data_subject.export') return { ...base, basis: AccessBasis.Export };
  return { ...base, basis: basisOf(row, personId) };
}

function basisOf(row: AccessRecordRow, personId: string): AccessBasis {
  const recorded = row.details.basis;
  if (row.actorId === personId || recorded === 'self') return AccessBasis.Self;
  if (row.action.startsWith('break_glass.') || recorded === 'break_glass') {
    return AccessBasis.BreakGlass;
  }
  if (recorded === 'care_relationship') return AccessBasis.CareRelationship;
  if (recorded === 'account_administration' || recorded === 'staff') {
    return AccessBasis.Administration;
  }
  // Without a recorded basis: a clinician acts in a consultation or appointment with the
  // patient (the rooms, calls and appointments check that relationship themselves); anyone
  // else (administrator, compliance officer, the server) administers.
  return row.actorRole !== null && CLINICAL_ROLES.has(row.actorRole)
    ? AccessBasis.CareRelationship
    : AccessBasis.Administration;
}
