import type { CallHandler, ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { firstValueFrom, of, throwError } from 'rxjs';
import { AppException } from '../../common/errors/app.exception';
import { AuditDenialsInterceptor } from './audit-denials.interceptor';
import type { AccessDenial, AuditService } from './audit.service';

function setup(isPublic = false, type = 'http') {
  const denials: AccessDenial[] = [];
  const audit = {
    recordAccessDenied: (d: AccessDenial) => {
      denials.push(d);
      return Promise.resolve('1');
    },
  } as unknown as AuditService;
  const reflector = { getAllAndOverride: () => isPublic } as unknown as Reflector;
  const req = {
    method: 'GET',
    path: '/api/v1/rooms/42',
    route: { path: '/api/v1/rooms/:id' },
    params: { id: '42' },
    headers: { 'user-agent': 'jest' },
    ip: '127.0.0.1',
    id: 'req-1',
    user: { id: 'u1', role: 'doctor', sessionId: 's' },
  };
  const context = {
    getType: () => type,
    getHandler: () => undefined,
    getClass: () => undefined,
    switchToHttp: () => ({ getRequest: () => req }),
  } as unknown as ExecutionContext;
  return { interceptor: new AuditDenialsInterceptor(audit, reflector), context, denials, req };
}

const failing = (e: unknown): CallHandler => ({ handle: () => throwError(() => e) });

describe('AuditDenialsInterceptor', () => {
  it.each([
    [AppException.forbidden(), 403],
    [AppException.notFound(), 404],
  ])('records a %s thrown on a protected route, then rethrows it', async (error, status) => {
    const { interceptor, context, denials } = setup();
    await expect(firstValueFrom(interceptor.intercept(context, failing(error)))).rejects.toBe(
      error,
    );
    expect(denials).toEqual([
      {
        status,
        route: 'GET /api/v1/rooms/:id',
        resourceId: '42',
        actor: { userId: 'u1', role: 'doctor', ip: '127.0.0.1', userAgent: 'jest' },
        requestId: 'req-1',
      },
    ]);
  });

  it('leaves other errors, successes, public routes and non-HTTP contexts alone', async () => {
    const s = setup();
    const conflict = AppException.conflict('x');
    await expect(
      firstValueFrom(s.interceptor.intercept(s.context, failing(conflict))),
    ).rejects.toBe(conflict);
    await expect(firstValueFrom(s.interceptor.intercept(s.context, failing('weird')))).rejects.toBe(
      'weird',
    );
    await expect(
      firstValueFrom(s.interceptor.intercept(s.context, { handle: () => of(1) })),
    ).resolves.toBe(1);
    expect(s.denials).toEqual([]);
    const p = setup(true);
    const nf = AppException.notFound();
    await expect(firstValueFrom(p.interceptor.intercept(p.context, failing(nf)))).rejects.toBe(nf);
    expect(p.denials).toEqual([]);
    const ws = setup(false, 'ws');
    await expect(firstValueFrom(ws.interceptor.intercept(ws.context, failing(nf)))).rejects.toBe(
      nf,
    );
    expect(ws.denials).toEqual([]);
  });

  it('falls back to the path when the route is unknown, without a resource id', async () => {
    const s = setup();
    Object.assign(s.req, {
      route: undefined,
      params: {},
      headers: {},
      id: undefined,
      user: undefined,
    });
    const e = { status: 404 };
    await expect(firstValueFrom(s.interceptor.intercept(s.context, failing(e)))).rejects.toBe(e);
    expect(s.denials[0]).toMatchObject({
      route: 'GET /api/v1/rooms/42',
      resourceId: null,
      requestId: null,
      actor: { userId: null, role: null, userAgent: null },
    });
  });
});
