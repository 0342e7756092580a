import { applyDecorators, type ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { ApiProblem } from '../errors/problem.response';
import { SkipThrottle, ThrottlerGuard, type ThrottlerLimitDetail } from '@nestjs/throttler';
import { AppException } from '../errors/app.exception';
import { ErrorCode } from '../errors/error-code';

// The throttler that guards credentials (login, register, refresh, password reset, MFA codes). It fails
// closed when its storage (Redis) is down: see ResilientThrottlerStorage.
export const AUTH_THROTTLER = 'auth';
const CREDENTIAL_ROUTE = 'hekim:credentialRoute';

// Puts a route under the per-IP `auth` throttler (AUTH_RATE_LIMIT_PER_MINUTE per route), in
// place of the default one: the stricter count is the one that matters there, and each
// throttler costs a Redis round trip on every request.
export const CredentialRateLimit = (): MethodDecorator & ClassDecorator =>
  applyDecorators(
    SetMetadata(CREDENTIAL_ROUTE, true),
    SkipThrottle({ default: true }),
    ApiProblem(429, 'Too many attempts from this address (RATE_LIMITED, with Retry-After).'),
  );

// Only credential routes count against the `auth` throttler.
export function isNotCredentialRoute(context: ExecutionContext): boolean {
  return Reflect.getMetadata(CREDENTIAL_ROUTE, context.getHandler()) !== true;
}

// ThrottlerGuard answering in the house style: problem+json RATE_LIMITED with a plain
// Retry-After header, whichever throttler tripped.
@Injectable()
export class AppThrottlerGuard extends ThrottlerGuard {
  protected override throwThrottlingException(
    _context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    const retryAfter = Math.max(1, Math.ceil(detail.timeToBlockExpire || detail.timeToExpire));
    throw new AppException(
      ErrorCode.RateLimited,
      `Too many requests. Retry in ${retryAfter} seconds.`,
      {
        headers: { 'Retry-After': String(retryAfter) },
        extensions: { retryAfter },
      },
    );
  }
}
