import type { Observable } from 'rxjs';
import type { AuthUser } from '../../common/auth/auth-user';
import type { Role } from '../../common/auth/role';

export interface SocketPrincipal extends AuthUser {
  expiresAt: Date;
}

// Sessions or users whose standing changed (revoked, deactivated, role changed).
export interface PrincipalChangeNotice {
  sessionIds: readonly string[];
  userIds: readonly string[];
}

// How the gateway checks an access token and the standing of the user behind a live socket:
// the very verifier the HTTP guard uses (bound in SignalingModule), so a token is accepted or
// refused the same way on both paths, and every event is judged with the user's current role.
export abstract class AccessTokenPort {
  abstract verify(token: string): Promise<SocketPrincipal>;
  // The user's current role; null when they may no longer act (session revoked, user
  // deactivated); undefined when it is not known without a read.
  abstract peekRole(user: AuthUser): Role | null | undefined;
  abstract currentRole(user: AuthUser): Promise<Role | null>;
  // Reads the standing of many users at once, so that peekRole answers for each.
  abstract confirm(users: readonly AuthUser[]): Promise<void>;
  abstract readonly changes: Observable<PrincipalChangeNotice>;
}
