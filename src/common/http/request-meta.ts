import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';

// Who is on the other end of the wire, for the audit trail and device sessions. `ip` honours
// TRUST_PROXY through Express; the user agent is cut so that a huge header cannot bloat rows.
export interface RequestMeta {
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
}

export function requestMeta(req: Request & { id?: unknown }): RequestMeta {
  const ua = req.headers['user-agent'];
  return {
    ip: req.ip ?? null,
    userAgent: typeof ua === 'string' && ua.length > 0 ? ua.slice(0, 512) : null,
    requestId: typeof req.id === 'string' ? req.id : null,
  };
}

export const ClientMeta = createParamDecorator((_: unknown, ctx: ExecutionContext): RequestMeta =>
  requestMeta(ctx.switchToHttp().getRequest()),
);
