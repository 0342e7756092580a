// Every action the audit trail records. One enum for the whole application, documented in
// docs/audit.md; modules add their actions here.
export enum AuditAction {
  AuthLogin = 'auth.login',
  AuthLogout = 'auth.logout',
  AuditExport = 'audit.export',
  AuditVerify = 'audit.verify',
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
