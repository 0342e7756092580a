import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ALL_ROLES, type Role } from './role';

export const ROLES_KEY = 'hekim:roles';

export interface AuthenticatedOptions {
  // Roles allowed to call the route; every role when omitted. Record-level checks (is this
  // user in that room?) are the service's job on top of this.
  roles?: readonly Role[];
}

// The one way a route declares who may call it. It sets the metadata the global guard
// enforces and the Swagger security requirement together, so the two cannot disagree.
export function Authenticated(
  options: AuthenticatedOptions = {},
): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(ROLES_KEY, options.roles ?? ALL_ROLES),
    ApiBearerAuth('bearer'),
    ApiUnauthorizedResponse({
      description: 'Missing, invalid, expired or revoked access token (UNAUTHORIZED).',
    }),
    ApiForbiddenResponse({
      description: 'The caller is authenticated but not allowed (FORBIDDEN).',
    }),
  );
}
