// The roles of docs/auth.md. Self-registration creates patients only. `guest` is not an
// account: it is the holder of a redeemed invitation link (docs/auth.md, "Guest grant"),
// scoped to one appointment's room, and may call only the routes that name it.
export enum Role {
  Patient = 'patient',
  Doctor = 'doctor',
  Admin = 'admin',
  ComplianceOfficer = 'compliance_officer',
  Guest = 'guest',
}

export const ALL_ROLES: readonly Role[] = Object.values(Role);

// The roles of people with an account: what `@Authenticated()` admits when it names no roles.
// A guest is let through only where a route names Role.Guest (default deny).
export const ACCOUNT_ROLES: readonly Role[] = ALL_ROLES.filter((r) => r !== Role.Guest);

export function isRole(value: string): value is Role {
  return (ALL_ROLES as readonly string[]).includes(value);
}
