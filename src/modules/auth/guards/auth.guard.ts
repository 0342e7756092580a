import { type CanActivate, type ExecutionContext, Injectable, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import type { AuthUser } from '../../../common/auth/auth-user';
import { ROLES_KEY } from '../../../common/auth/authenticated.decorator';
import { IS_PUBLIC } from '../../../common/auth/public.decorator';
import type { Role } from '../../../common/auth/role';
import { AppException } from '../../../common/errors/app.exception';
import { requestMeta } from '../../../common/http/request-meta';
import { AuditAction, AuditOutcome } from '../../audit/audit-action';
import { AuditService } from '../../audit/audit.service';
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
    private readonly audit: AuditService,
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
    }
    if (!roles?.includes(user.role)) {
      await this.recordDenial(req, user, roles ? 'role' : 'undeclared_route');
      throw AppException.forbidden();
    }
    return true;
  }

  // Authenticated callers refused by role are audited (anonymous 401s are not: they carry
  // no identity and would let anyone flood the trail).
  private async recordDenial(req: Request, user: AuthUser, reason: string): Promise<void> {
    const meta = requestMeta(req);
    await this.audit.record({
      action: AuditAction.AccessDenied,
      outcome: AuditOutcome.Denied,
      actor: { userId: user.id, role: user.role, ip: meta.ip, userAgent: meta.userAgent },
      resource: { type: 'route', id: `${req.method} ${req.path}`.slice(0, 128) },
      requestId: meta.requestId,
      details: { reason },
    });
  }
}
