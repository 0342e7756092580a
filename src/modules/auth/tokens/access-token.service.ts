import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import type { AuthUser } from '../../../common/auth/auth-user';
import { isRole, type Role } from '../../../common/auth/role';
import { AppException } from '../../../common/errors/app.exception';
import { ErrorCode } from '../../../common/errors/error-code';
import { AppConfig } from '../../../config/app-config';
import type { Observable } from 'rxjs';
import {
  type Principal,
  type PrincipalChange,
  PrincipalStandings,
} from '../sessions/principal-standings';
import { isUuid } from '../../../common/validation/ids';

// Pinned on both sides: a token with any other `alg` (none, HS512, RS256…) is refused.
export const ACCESS_TOKEN_ALGORITHM = 'HS256';
export const ACCESS_TOKEN_TYPE = 'access';

export interface AccessTokenClaims {
  sub: string;
  role: Role;
  sid: string;
  jti: string;
  typ: typeof ACCESS_TOKEN_TYPE;
  // Whether the user had MFA enrolled when the token was issued (MFA_REQUIRED_ROLES).
  mfa: boolean;
  iss: string;
  aud: string;
  iat: number;
  nbf: number;
  exp: number;
}

export interface IssueAccessToken {
  userId: string;
  role: Role;
  sessionId: string;
  mfaEnrolled: boolean;
}

// What a verified access token says about its bearer; an AuthUser with a little more.
export interface VerifiedAccess extends AuthUser {
  mfaEnrolled: boolean;
  expiresAt: Date;
}

export interface VerifyOptions {
  // Only the MFA enrollment routes set this: they must work for a user whose role requires
  // MFA before that user has enrolled.
  allowWithoutMfa?: boolean;
}

@Injectable()
export class AccessTokenService {
  constructor(
    private readonly jwt: JwtService,
    private readonly config: AppConfig,
  ) {}

  async issue(input: IssueAccessToken): Promise<{ token: string; expiresIn: number }> {
    const expiresIn = this.config.auth.accessTokenTtlSeconds;
    const token = await this.jwt.signAsync(
      {
        role: input.role,
        sid: input.sessionId,
        typ: ACCESS_TOKEN_TYPE,
        mfa: input.mfaEnrolled,
      },
      {
        algorithm: ACCESS_TOKEN_ALGORITHM,
        subject: input.userId,
        jwtid: randomUUID(),
        issuer: this.config.auth.jwtIssuer,
        audience: this.config.auth.jwtAudience,
        expiresIn,
        notBefore: 0,
      },
    );
    return { token, expiresIn };
  }
}

// Verifies an access token. The Socket.IO handshake calls `verify`; HTTP routes verify the
// token with passport-jwt under the same rules (AccessTokenStrategy) and then call the same
// `admit` and `requireMfa`, so both accept and refuse exactly the same tokens. A valid
// signature only says who the bearer is: whether they may still act, and with which role, is
// the principal's standing now (PrincipalStandings, whose record is PostgreSQL), never the
// claims the token was issued with.
@Injectable()
export class AccessTokenVerifier {
  constructor(
    private readonly jwt: JwtService,
    private readonly config: AppConfig,
    private readonly standings: PrincipalStandings,
  ) {}

  async verify(token: string, options: VerifyOptions = {}): Promise<VerifiedAccess> {
    let claims: Record<string, unknown>;
    try {
      claims = await this.jwt.verifyAsync<Record<string, unknown>>(token, {
        algorithms: [ACCESS_TOKEN_ALGORITHM],
        issuer: this.config.auth.jwtIssuer,
        audience: this.config.auth.jwtAudience,
        clockTolerance: 5,
      });
    } catch (error) {
      // Expired, not yet valid, bad signature, wrong alg/iss/aud, malformed: all the same
      // answer, so a caller learns nothing about which check failed.
      throw new AppException(ErrorCode.Unauthorized, 'The access token is invalid or expired.', {
        cause: error,
      });
    }
    return this.requireMfa(await this.admit(claims), options);
  }

  // The bearer of claims whose signature, algorithm, issuer, audience and lifetime were
  // verified (here, or by the HTTP routes' passport strategy), as they stand now: refused when
  // the claims are not an access token's or the session has ended, with the current role.
  async admit(claims: Record<string, unknown>): Promise<VerifiedAccess> {
    const user = toVerifiedAccess(claims);
    if (!user) throw AppException.unauthorized('The access token is invalid or expired.');
    const principal = { sessionId: user.sessionId, userId: user.id };
    const known = this.standings.peek(principal);
    const standing = known === undefined ? await this.standings.standing(principal) : known;
    if (!standing) throw AppException.unauthorized('The session of this access token has ended.');
    user.role = standing.role;
    return user;
  }

  // Refuses an admitted bearer whose role requires MFA before they enrolled, except on the
  // enrollment routes.
  requireMfa(user: VerifiedAccess, options: VerifyOptions = {}): VerifiedAccess {
    if (
      !options.allowWithoutMfa &&
      !user.mfaEnrolled &&
      this.config.auth.mfaRequiredRoles.includes(user.role)
    ) {
      throw new AppException(
        ErrorCode.MfaRequired,
        'Your role requires multi-factor authentication. Enrol with POST /api/v1/auth/mfa/setup ' +
          'and POST /api/v1/auth/mfa/enable, then refresh your tokens.',
        { status: 403, extensions: { reason: 'mfa_enrollment_required' } },
      );
    }
    return user;
  }

  // For holders of a token verified earlier (live sockets): the current role, null when the
  // principal may no longer act, undefined when only a read can tell (see `currentRole`).
  peekRole(user: AuthUser): Role | null | undefined {
    const standing = this.standings.peek(principalOf(user));
    return standing === undefined ? undefined : (standing?.role ?? null);
  }

  async currentRole(user: AuthUser): Promise<Role | null> {
    return (await this.standings.standing(principalOf(user)))?.role ?? null;
  }

  // Makes `peekRole` answer for all of them (one read for the stale ones).
  confirm(users: readonly AuthUser[]): Promise<void> {
    return this.standings.confirm(users.map(principalOf));
  }

  get changes(): Observable<PrincipalChange> {
    return this.standings.changes;
  }
}

function principalOf(user: AuthUser): Principal {
  return { sessionId: user.sessionId, userId: user.id };
}

// Every claim is checked, not only the signature: a refresh-type or hand-made token signed
// with the right key must still be refused.
export function toVerifiedAccess(claims: Record<string, unknown>): VerifiedAccess | undefined {
  const { sub, role, sid, jti, typ, mfa, iat, nbf, exp } = claims;
  if (typ !== ACCESS_TOKEN_TYPE) return undefined;
  if (typeof sub !== 'string' || !isUuid(sub)) return undefined;
  if (typeof sid !== 'string' || !isUuid(sid)) return undefined;
  if (typeof role !== 'string' || !isRole(role)) return undefined;
  if (typeof jti !== 'string' || jti.length === 0) return undefined;
  if (typeof mfa !== 'boolean') return undefined;
  if (typeof iat !== 'number' || typeof nbf !== 'number' || typeof exp !== 'number') {
    return undefined;
  }
  return { id: sub, role, sessionId: sid, mfaEnrolled: mfa, expiresAt: new Date(exp * 1000) };
}
