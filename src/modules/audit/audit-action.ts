// Every action the audit trail records. One enum for the whole application, documented in
// docs/audit.md; modules add their actions here.
export enum AuditAction {
  AuthLogin = 'auth.login',
  AuthLogout = 'auth.logout',
  AuditExport = 'audit.export',
  AuditVerify = 'audit.verify',
  // Identity (auth and users modules).
  AuthRegister = 'auth.register',
  AuthRefresh = 'auth.refresh',
  AuthTokenReuse = 'auth.token_reuse',
  AuthSessionRevoke = 'auth.session_revoke',
  AuthLockout = 'auth.lockout',
  AuthMfaSetup = 'auth.mfa_setup',
  AuthMfaEnable = 'auth.mfa_enable',
  AuthMfaDisable = 'auth.mfa_disable',
  AuthPasswordResetRequest = 'auth.password_reset_request',
  AuthPasswordReset = 'auth.password_reset',
  UserCreate = 'user.create',
  UserUpdate = 'user.update',
  UserDeactivate = 'user.deactivate',
  UserProfileUpdate = 'user.profile_update',
  UserRead = 'user.read',
  UserSearch = 'user.search',
}

export enum AuditOutcome {
  Success = 'success',
  Failure = 'failure',
  Denied = 'denied',
}
