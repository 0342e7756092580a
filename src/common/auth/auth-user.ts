import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Role } from './role';

// Who is calling, as established by the global authentication guard from a verified access
// token. Set on `request.user` (HTTP) and `socket.data.user` (signaling).
export interface AuthUser {
  id: string;
  role: Role;
  sessionId: string;
}

export const CurrentUser = createParamDecorator((_: unknown, ctx: ExecutionContext): AuthUser => {
  const req = ctx.switchToHttp().getRequest<{ user?: AuthUser }>();
  if (!req.user) throw new Error('CurrentUser used on a route without authentication');
  return req.user;
});
