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
  AuthEmailVerify = 'auth.email_verify',
  UserCreate = 'user.create',
  UserUpdate = 'user.update',
  UserDeactivate = 'user.deactivate',
  UserProfileUpdate = 'user.profile_update',
  UserRead = 'user.read',
  UserSearch = 'user.search',
  // Appointments (appointments module).
  AvailabilityUpdate = 'availability.update',
  RoomCreate = 'room.create',
  RoomUpdate = 'room.update',
  RoomClose = 'room.close',
  RoomMemberAdd = 'room.member.add',
  RoomMemberRemove = 'room.member.remove',
  RoomInvitationAccept = 'room.invitation.accept',
  RoomInvitationDecline = 'room.invitation.decline',
  RoomJoin = 'room.join',
  RoomLeave = 'room.leave',
  RoomWait = 'room.wait',
  RoomAdmit = 'room.admit',
  RoomReplaced = 'room.replaced',
  SessionStart = 'session.start',
  SessionEnd = 'session.end',
  SignalingHandshake = 'signaling.handshake',
  SignalingRelay = 'signaling.relay',
  // Direct calls (calls module).
  CallInitiate = 'call.initiate',
  CallIncomingDelivered = 'call.incoming_delivered',
  CallAccept = 'call.accept',
  CallReject = 'call.reject',
  CallCancel = 'call.cancel',
  CallEnd = 'call.end',
  CallLeave = 'call.leave',
  CallMissed = 'call.missed',
  CallAnsweredElsewhere = 'call.answered_elsewhere',
  // Patient data (encrypted profile) and data-subject rights (KVKK), break-glass (HIPAA).
  PatientProfileUpdate = 'patient_profile.update',
  PatientProfileRead = 'patient_profile.read',
  DataSubjectExport = 'data_subject.export',
  ErasureRequest = 'data_subject.erasure_request',
  ErasureApprove = 'data_subject.erasure_approve',
  ErasureReject = 'data_subject.erasure_reject',
  BreakGlassStart = 'break_glass.start',
  BreakGlassAccess = 'break_glass.access',
  BreakGlassEnd = 'break_glass.end',
  BreakGlassExpire = 'break_glass.expire',
  // Care relationships (care module): the basis of a clinician's access to a patient.
  CareRelationshipCreate = 'care_relationship.create',
  CareRelationshipEnd = 'care_relationship.end',
  // KVKK consent and retention (compliance module).
  ConsentGrant = 'consent.grant',
  ConsentWithdraw = 'consent.withdraw',
  ConsentTextPublish = 'consent.text_publish',
  RetentionRun = 'retention.run',
  // Notifications (outbox module): operators' look at the queue and their retries.
  OutboxList = 'outbox.list',
  OutboxRetry = 'outbox.retry',
  // Webhooks for integrators (webhooks module): endpoints, and every delivery attempt.
  WebhookCreate = 'webhook.create',
  WebhookDelete = 'webhook.delete',
  WebhookDelivery = 'webhook.delivery',
  WebhookReplay = 'webhook.replay',
  // Push devices (devices module): registered and removed by their owner, or removed
  // because the push provider reported the token dead.
  DeviceRegister = 'device.register',
  DeviceRemove = 'device.remove',
}

export enum AuditOutcome {
  Success = 'success',
  Failure = 'failure',
  Denied = 'denied',
}
