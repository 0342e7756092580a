import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { AuthUser } from '../../../common/auth/auth-user';
import { Authenticated } from '../../../common/auth/authenticated.decorator';
import { Public } from '../../../common/auth/public.decorator';
import { Role } from '../../../common/auth/role';
import { AppException } from '../../../common/errors/app.exception';
import type { AccessTokenVerifier, VerifyOptions } from '../tokens/access-token.service';
import type { AuditService } from '../../audit/audit.service';
import { AuthGuard, bearerToken } from './auth.guard';
import { MfaEnrollmentRoute } from './mfa-enrollment.decorator';

class Routes {
  @Public()
  open(): void {}

  undeclared(): void {}

  @Authenticated({ roles: [Role.Admin] })
  adminOnly(): void {}

  @Authenticated()
  @MfaEnrollmentRoute()
  enrol(): void {}
}

function context(
  handler: keyof Routes,
  authorization?: string,
  type = 'http',
): { ctx: ExecutionContext; req: { headers: Record<string, string>; user?: AuthUser } } {
  const req = {
    headers: authorization ? { authorization } : {},
    method: 'GET',
    path: `/x/${handler}`,
  } as {
    headers: Record<string, string>;
    user?: AuthUser;
  };
  const ctx = {
    getType: () => type,
    getHandler: () => Routes.prototype[handler],
    getClass: () => Routes,
    switchToHttp: () => ({ getRequest: () => req }),
  } as unknown as ExecutionContext;
  return { ctx, req };
}

describe('AuthGuard', () => {
  const calls: VerifyOptions[] = [];
  const verifier = {
    verify: (token: string, options: VerifyOptions = {}) => {
      calls.push(options);
      if (token !== 'good') return Promise.reject(AppException.unauthorized());
      return Promise.resolve({ id: 'u1', role: Role.Patient, sessionId: 's1' });
    },
  } as unknown as AccessTokenVerifier;
  const recorded: { action: string; details?: Record<string, unknown> }[] = [];
  const audit = {
    record: (input: { action: string; details?: Record<string, unknown> }) => {
      recorded.push(input);
      return Promise.resolve('1');
    },
  } as unknown as AuditService;
  const guard = new AuthGuard(new Reflector(), verifier, audit);

  beforeEach(() => (calls.length = 0));

  it('lets public routes through without a token', async () => {
    await expect(guard.canActivate(context('open').ctx)).resolves.toBe(true);
  });

  it('refuses a route that declares no access, even with a valid token (default deny)', async () => {
    await expect(guard.canActivate(context('undeclared').ctx)).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
    });
    await expect(guard.canActivate(context('undeclared', 'Bearer good').ctx)).rejects.toMatchObject(
      { code: 'FORBIDDEN', status: 403 },
    );
  });

  it('checks roles and sets request.user', async () => {
    await expect(guard.canActivate(context('adminOnly', 'Bearer good').ctx)).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    const { ctx, req } = context('enrol', 'Bearer good');
    await expect(guard.canActivate(ctx)).resolves.toBe(true);
    expect(req.user).toEqual({ id: 'u1', role: Role.Patient, sessionId: 's1' });
    expect(calls.at(-1)).toEqual({ allowWithoutMfa: true });
  });

  it('leaves socket contexts to the gateway middleware', async () => {
    await expect(guard.canActivate(context('undeclared', undefined, 'ws').ctx)).resolves.toBe(true);
  });

  it('accepts only the Bearer scheme', () => {
    expect(bearerToken('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(bearerToken('bearer abc')).toBeUndefined();
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken('Bearer a b')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});
