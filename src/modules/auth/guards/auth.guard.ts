import { type CanActivate, type ExecutionContext, Injectable, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import type { AuthUser } from '../../../common/auth/auth-user';
import { ROLES_KEY } from '../../../common/auth/authenticated.decorator';
import { IS_PUBLIC } from '../../../common/auth/public.decorator';
import type { Role } from '../../../common/auth/role';
import { AppException } from '../../../common/errors/app.exception';
import { AccessTokenVerifier } from '../tokens/access-token.service';
import { MFA_ENROLLMENT_ROUTE } from './mfa-enrollment.decorator';

// RFC 6750 bearer syntax; anything else is treated as no token at all.
const BEARER = /^Bearer ([A-Za-z0-9\-_.~+/]+=*)$/;

export function bearerToken(header: string | undefined): string | undefined {
  return header ? BEARER.exec(header)?.[1] : undefined;
}

// The one global guard: every HTTP route needs a valid access token unless it is @Public(),
// and a route without an @Authenticated() declaration is refused even then (default deny).
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly logger = new Logger('AuthGuard');

  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: AccessTokenVerifier,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    // Socket.IO authenticates in its io.use middleware (guards never see the handshake);
    // message handlers are covered by the socket's verified identity.
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC, targets)) return true;

    const req = context.switchToHttp().getRequest<Request & { user?: AuthUser }>();
    const token = bearerToken(req.headers.authorization);
    if (!token) throw AppException.unauthorized();
    const allowWithoutMfa =
      this.reflector.getAllAndOverride<boolean | undefined>(MFA_ENROLLMENT_ROUTE, targets) === true;
    const user = await this.verifier.verify(token, { allowWithoutMfa });
    req.user = user;

    const roles = this.reflector.getAllAndOverride<readonly Role[] | undefined>(ROLES_KEY, targets);
    if (!roles) {
      this.logger.error(
        { route: `${context.getClass().name}.${context.getHandler().name}` },
        'route declares neither @Public() nor @Authenticated(); refused',
      );
      throw AppException.forbidden();
    }
    if (!roles.includes(user.role)) throw AppException.forbidden();
    return true;
  }
}
