import { type CanActivate, type ExecutionContext, Injectable, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard as PassportGuard } from '@nestjs/passport';
import type { Request } from 'express';
import { auditActor, type AuthUser } from '../../../common/auth/auth-user';
import { ROLES_KEY } from '../../../common/auth/authenticated.decorator';
import { IS_PUBLIC } from '../../../common/auth/public.decorator';
import type { Role } from '../../../common/auth/role';
import { AppException } from '../../../common/errors/app.exception';
import { requestMeta } from '../../../common/http/request-meta';
import { AnonymousRefusalBudget } from '../../audit/anonymous-refusals';
import { AuditService } from '../../audit/audit.service';
import { AccessTokenVerifier, type VerifiedAccess } from '../tokens/access-token.service';
import { ACCESS_TOKEN_STRATEGY } from '../tokens/access-token.strategy';
import { MFA_ENROLLMENT_ROUTE } from './mfa-enrollment.decorator';

// RFC 6750 bearer syntax; anything else is treated as no token at all.
const BEARER = /^Bearer ([A-Za-z0-9\-_.~+/]+=*)$/;

// The route pattern, never the raw URL (its query string may carry personal data).
function routeOf(req: Request): string {
  const pattern = (req.route as { path?: unknown } | undefined)?.path;
  return `${req.method} ${typeof pattern === 'string' ? pattern : req.path}`;
}

export function bearerToken(header: string | undefined): string | undefined {
  return header ? BEARER.exec(header)?.[1] : undefined;
}

// Runs the access-token strategy; any refusal is Hekim's 401, never passport's own answer.
class AccessTokenGuard extends PassportGuard(ACCESS_TOKEN_STRATEGY) {
  override handleRequest<T>(err: unknown, user: T | false): T {
    if (err instanceof Error) throw err;
    if (!user) throw AppException.unauthorized('The access token is invalid or expired.');
    return user;
  }
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
    private readonly anonymousRefusals: AnonymousRefusalBudget,
  ) {}

  private readonly accessToken = new AccessTokenGuard();

  async canActivate(context: ExecutionContext): Promise<boolean> {
    // Socket.IO authenticates in its io.use middleware (guards never see the handshake);
    // message handlers are covered by the socket's verified identity.
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC, targets)) return true;

    const req = context.switchToHttp().getRequest<Request & { user?: AuthUser }>();
    const token = bearerToken(req.headers.authorization);
    if (!token) {
      await this.recordUnauthenticated(req, 'missing_token');
      throw AppException.unauthorized();
    }
    const allowWithoutMfa =
      this.reflector.getAllAndOverride<boolean | undefined>(MFA_ENROLLMENT_ROUTE, targets) === true;
    try {
      await this.accessToken.canActivate(context);
    } catch (error) {
      if (error instanceof AppException && error.status === 401)
        await this.recordUnauthenticated(req, 'invalid_token');
      throw error;
    }
    const user = this.verifier.requireMfa(req.user as VerifiedAccess, { allowWithoutMfa });

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

  // Authenticated callers refused by role are always audited.
  private async recordDenial(req: Request, user: AuthUser, reason: string): Promise<void> {
    const meta = requestMeta(req);
    await this.audit.recordAccessDenied({
      status: 403,
      route: routeOf(req),
      actor: auditActor(user, meta),
      requestId: meta.requestId,
      reason,
    });
  }

  // 401s on protected routes are audited too, but they carry no identity, so anyone could
  // flood the trail with them: they share the per-address budget of refused signaling
  // handshakes (AnonymousRefusalBudget).
  private async recordUnauthenticated(req: Request, reason: string): Promise<void> {
    const meta = requestMeta(req);
    await this.anonymousRefusals.record(meta.ip, () =>
      this.audit.recordAccessDenied({
        status: 401,
        route: routeOf(req),
        actor: { ip: meta.ip, userAgent: meta.userAgent },
        requestId: meta.requestId,
        reason,
      }),
    );
  }
}
