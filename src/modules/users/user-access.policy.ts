import { Injectable } from '@nestjs/common';
import type { AuthUser } from '../../common/auth/auth-user';
import { Role } from '../../common/auth/role';
import { CareRelationshipsPort } from './ports/care-relationships.port';
import { EmergencyAccessPort } from './ports/emergency-access.port';

// Why a reader may see a record; it is written into the audit record of every read
// (docs/access-model.md).
export type AccessBasis =
  | { basis: 'self' }
  | { basis: 'care_relationship'; careRelationshipId: string }
  | { basis: 'break_glass'; grantId: string }
  // An admin managing accounts (never the clinical profile).
  | { basis: 'account_administration' }
  // Staff (doctors, admins) seeing each other: they may ring each other.
  | { basis: 'staff' };

// The only bases for a patient's clinical record.
export type ClinicalBasis = Extract<
  AccessBasis,
  { basis: 'self' | 'care_relationship' | 'break_glass' }
>;

const STAFF: readonly Role[] = [Role.Doctor, Role.Admin];

export function isStaff(role: Role): boolean {
  return STAFF.includes(role);
}

// Record-level access to user records, in one place: services ask here instead of growing
// their own `if`s. Role-level access is the guard's job and is already done. Access to a
// patient rests on the patient's own act (a care relationship) or on break-glass, never on
// something a clinician did alone (inviting them, ringing them).
@Injectable()
export class UserAccessPolicy {
  // Both ports are required: an app without the care or break-glass module fails to start
  // rather than quietly granting nothing (or, worse, a stand-in granting something).
  constructor(
    private readonly care: CareRelationshipsPort,
    private readonly emergency: EmergencyAccessPort,
  ) {}

  // May `actor` read patient `patientId`'s clinical record (the encrypted profile)? Minimum
  // necessary: the patient, and doctors treating them (an active care relationship) or under
  // an active break-glass grant. Admins and compliance officers manage accounts and audits,
  // not clinical data. Null: no.
  async clinicalAccess(actor: AuthUser, patientId: string): Promise<ClinicalBasis | null> {
    if (actor.id === patientId) return { basis: 'self' };
    if (actor.role !== Role.Doctor) return null;
    const careRelationshipId = await this.care.activeRelationshipId(actor.id, patientId);
    if (careRelationshipId) return { basis: 'care_relationship', careRelationshipId };
    const grantId = await this.emergency.activeGrantId(actor.id, patientId);
    return grantId ? { basis: 'break_glass', grantId } : null;
  }

  // May `actor` read the user record (name, e-mail, role) of `target`? Themselves; admins
  // (accounts); a patient's record as their clinical record above; a doctor's record by their
  // patients (care relationship) and by staff; an admin's record by staff. Null: no, and the
  // caller is told the record does not exist.
  async recordAccess(
    actor: AuthUser,
    target: { id: string; role: Role },
  ): Promise<AccessBasis | null> {
    if (actor.id === target.id) return { basis: 'self' };
    if (actor.role === Role.Admin) return { basis: 'account_administration' };
    switch (target.role) {
      case Role.Patient:
        return this.clinicalAccess(actor, target.id);
      case Role.Doctor: {
        if (actor.role === Role.Doctor) return { basis: 'staff' };
        if (actor.role !== Role.Patient) return null;
        const careRelationshipId = await this.care.activeRelationshipId(target.id, actor.id);
        return careRelationshipId ? { basis: 'care_relationship', careRelationshipId } : null;
      }
      case Role.Admin:
        return isStaff(actor.role) ? { basis: 'staff' } : null;
      case Role.ComplianceOfficer:
        return null;
      // A guest (an invitation's holder) is seen by admins and itself only; the people of its
      // appointment know it by the name on the invitation.
      case Role.Guest:
        return null;
    }
  }

  // Which users `actor` may find with GET /users: undefined means everyone (admins); otherwise
  // the patients a doctor treats or holds a break-glass grant for, each with its basis.
  async listable(actor: AuthUser): Promise<Map<string, ClinicalBasis> | undefined> {
    if (actor.role === Role.Admin) return undefined;
    const out = new Map<string, ClinicalBasis>();
    if (actor.role !== Role.Doctor) return out;
    const [related, granted] = await Promise.all([
      this.care.activePatientsOf(actor.id),
      this.emergency.activeGrantsOf(actor.id),
    ]);
    for (const [patientId, grantId] of granted)
      out.set(patientId, { basis: 'break_glass', grantId });
    for (const [patientId, careRelationshipId] of related)
      out.set(patientId, { basis: 'care_relationship', careRelationshipId });
    return out;
  }
}
