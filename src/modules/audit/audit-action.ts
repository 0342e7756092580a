// Every action the audit trail records. One enum for the whole application, documented in
// docs/audit.md; modules add their actions here.
export enum AuditAction {
  AuthLogin = 'auth.login',
  AuthLogout = 'auth.logout',
  // A protected route refused an authenticated caller (403, 404); see docs/audit.md.
  AccessDenied = 'access.denied',
  AuditEventsRead = 'audit.events.read',
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
  RoomCreate = 'room.create',
  RoomUpdate = 'room.update',
  RoomClose = 'room.close',
  RoomMemberAdd = 'room.member.add',
  RoomMemberRemove = 'room.member.remove',
  RoomJoin = 'room.join',
  RoomLeave = 'room.leave',
  RoomWait = 'room.wait',
  RoomAdmit = 'room.admit',
  RoomReplaced = 'room.replaced',
  SessionStart = 'session.start',
  SessionEnd = 'session.end',
  SignalingHandshake = 'signaling.handshake',
  SignalingRelay = 'signaling.relay',
}

export enum AuditOutcome {
  Success = 'success',
  Failure = 'failure',
  Denied = 'denied',
}
