import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { RequestMeta } from '../http/request-meta';
import type { Role } from './role';

// Who is calling, as established by the global authentication guard from a verified access
// token. Set on `request.user` (HTTP) and `socket.data.user` (signaling).
export interface AuthUser {
  id: string;
  role: Role;
  sessionId: string;
}

// Passport types `request.user` as Express.User; on Hekim's requests it is an AuthUser.
declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type
    interface User extends AuthUser {}
  }
}

// The caller as an audit record names them: the user (none before authentication) and the
// client they called from.
export function auditActor(
  user: AuthUser | null,
  meta: RequestMeta,
): { userId: string | null; role: Role | null; ip: string | null; userAgent: string | null } {
  return {
    userId: user?.id ?? null,
    role: user?.role ?? null,
    ip: meta.ip,
    userAgent: meta.userAgent,
  };
}

export const CurrentUser = createParamDecorator((_: unknown, ctx: ExecutionContext): AuthUser => {
  const req = ctx.switchToHttp().getRequest<{ user?: AuthUser }>();
  if (!req.user) throw new Error('CurrentUser used on a route without authentication');
  return req.user;
});
