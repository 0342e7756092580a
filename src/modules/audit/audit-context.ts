import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { AuthUser } from '../../common/auth/auth-user';
import { requestMeta } from '../../common/http/request-meta';
import type { AuditActor } from './audit.service';

export interface RequestContext {
  actor: AuditActor;
  requestId?: string | null;
}

// Who did it, from where, for the audit record of an HTTP request. `request.user` is set by
// the global authentication guard; it is absent on refused or public requests.
export function requestContextOf(req: Request & { user?: AuthUser; id?: unknown }): RequestContext {
  const { ip, userAgent, requestId } = requestMeta(req);
  return {
    actor: { userId: req.user?.id ?? null, role: req.user?.role ?? null, ip, userAgent },
    requestId,
  };
}

export const AuditContext = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): RequestContext =>
    requestContextOf(ctx.switchToHttp().getRequest<Request & { user?: AuthUser }>()),
);
