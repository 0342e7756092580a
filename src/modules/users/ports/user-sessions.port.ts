import type { EntityManager } from 'typeorm';

// What the users module needs from device sessions (owned by the auth module, which
// provides this port globally): ending every session of a user whose role, status or
// password changed. The auth module depends on users, never the reverse.
export abstract class UserSessionsPort {
  // Revokes the sessions in the caller's transaction and returns their ids.
  abstract revokeAllForUser(
    userId: string,
    reason: 'user_deactivated' | 'role_changed' | 'password_reset',
    manager: EntityManager,
  ): Promise<string[]>;

  // After commit: makes the revocation (and the user's new role or status, when `userId` is
  // given) visible to every instance, so access tokens of those sessions fail on the next
  // request. PostgreSQL already holds the change; this only drops what instances cached.
  abstract propagate(sessionIds: readonly string[], userId?: string): Promise<void>;
}
