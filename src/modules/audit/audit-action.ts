// Every action the audit trail records. One enum for the whole application, documented in
// docs/audit.md; modules add their actions here.
export enum AuditAction {
  AuthLogin = 'auth.login',
  AuthLogout = 'auth.logout',
  // A request refused with 401, 403 or 404 on a protected route.
  AccessDenied = 'access.denied',
  AuditEventsRead = 'audit.events.read',
  AuditExport = 'audit.export',
  AuditVerify = 'audit.verify',
}

export enum AuditOutcome {
  Success = 'success',
  Failure = 'failure',
  Denied = 'denied',
}
