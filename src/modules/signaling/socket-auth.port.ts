import type { AuthUser } from '../../common/auth/auth-user';

export interface SocketPrincipal extends AuthUser {
  expiresAt: Date;
}

// How the gateway checks an access token: the very verifier the HTTP guard uses (bound in
// SignalingModule), so a token is accepted or refused the same way on both paths.
export abstract class AccessTokenPort {
  abstract verify(token: string): Promise<SocketPrincipal>;
  // Whether the session of a token verified earlier has been revoked since: the only thing
  // about a verified token that can change (its signature and claims cannot, its expiry is
  // known), so a live socket is re-checked with this and need not keep its token.
  abstract isSessionRevoked(sessionId: string): Promise<boolean>;
}
