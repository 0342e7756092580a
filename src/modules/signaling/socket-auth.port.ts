import type { AuthUser } from '../../common/auth/auth-user';

export interface SocketPrincipal extends AuthUser {
  expiresAt: Date;
}

// How the gateway checks an access token: the very verifier the HTTP guard uses (bound in
// SignalingModule), so a token is accepted or refused the same way on both paths.
export abstract class AccessTokenPort {
  abstract verify(token: string): Promise<SocketPrincipal>;
}
