import {
  type CallHandler,
  type ExecutionContext,
  Injectable,
  type NestInterceptor,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { catchError, from, mergeMap, type Observable, throwError } from 'rxjs';
import { IS_PUBLIC } from '../../common/auth/public.decorator';
import { requestContextOf } from './audit-context';
import { AuditService } from './audit.service';

function statusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as { status?: unknown; getStatus?: () => unknown };
  const status = typeof e.getStatus === 'function' ? e.getStatus() : e.status;
  return typeof status === 'number' ? status : undefined;
}

// Records 403 and 404 thrown by handlers of protected routes (401 and role refusals happen
// in the authentication guard, which calls AuditService.recordAccessDenied itself). The
// original error is rethrown once the denial is recorded.
@Injectable()
export class AuditDenialsInterceptor implements NestInterceptor {
  constructor(
    private readonly audit: AuditService,
    private readonly reflector: Reflector,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const isPublic = this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) return next.handle();
    return next.handle().pipe(
      catchError((error: unknown) => {
        const status = statusOf(error);
        if (status !== 403 && status !== 404) return throwError(() => error);
        const req = context.switchToHttp().getRequest<Request>();
        const routePath = (req.route as { path?: unknown } | undefined)?.path;
        return from(
          this.audit.recordAccessDenied({
            status,
            route: `${req.method} ${typeof routePath === 'string' ? routePath : req.path}`,
            resourceId: typeof req.params.id === 'string' ? req.params.id : null,
            ...requestContextOf(req),
          }),
        ).pipe(mergeMap(() => throwError(() => error)));
      }),
    );
  }
}
