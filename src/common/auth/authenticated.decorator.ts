import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth } from '@nestjs/swagger';
import { ApiProblem } from '../errors/problem.response';
import { ACCOUNT_ROLES, type Role } from './role';

export const ROLES_KEY = 'hekim:roles';

export interface AuthenticatedOptions {
  // Roles allowed to call the route; every account role when omitted (never a guest). Record-level checks (is this
  // user in that room?) are the service's job on top of this.
  roles?: readonly Role[];
}

// The one way a route declares who may call it. It sets the metadata the global guard
// enforces and the Swagger security requirement together, so the two cannot disagree.
export function Authenticated(
  options: AuthenticatedOptions = {},
): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(ROLES_KEY, options.roles ?? ACCOUNT_ROLES),
    ApiBearerAuth('bearer'),
    ApiProblem(401, 'Missing, invalid, expired or revoked access token (UNAUTHORIZED).'),
    ApiProblem(
      403,
      'The caller is authenticated but not allowed (FORBIDDEN), or must enrol in MFA first (MFA_REQUIRED).',
    ),
    // The default throttler guards every route that does not opt out (app.module.ts).
    ApiProblem(429, 'Too many requests (RATE_LIMITED, with Retry-After).'),
  );
}
