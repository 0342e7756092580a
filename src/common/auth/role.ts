// The four roles of docs/auth.md. Self-registration creates patients only.
export enum Role {
  Patient = 'patient',
  Doctor = 'doctor',
  Admin = 'admin',
  ComplianceOfficer = 'compliance_officer',
}

export const ALL_ROLES: readonly Role[] = Object.values(Role);

export function isRole(value: string): value is Role {
  return (ALL_ROLES as readonly string[]).includes(value);
}
