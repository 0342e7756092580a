import { randomBytes, randomUUID } from 'node:crypto';
import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { JwtService } from '@nestjs/jwt';
import type { AuthUser } from '../../../common/auth/auth-user';
import { Authenticated } from '../../../common/auth/authenticated.decorator';
import { Public } from '../../../common/auth/public.decorator';
import { Role } from '../../../common/auth/role';
import type { AppConfig } from '../../../config/app-config';
import type {
  AccessTokenVerifier,
  VerifiedAccess,
  VerifyOptions,
} from '../tokens/access-token.service';
import { AccessTokenStrategy } from '../tokens/access-token.strategy';
import type { AccessDenial, AuditService } from '../../audit/audit.service';
import {
  AnonymousRefusalBudget,
  UNAUTHENTICATED_AUDITS_PER_MINUTE,
} from '../../audit/anonymous-refusals';
import { AuthGuard, bearerToken } from './auth.guard';
import { MemoryKeyValueStore } from '../../../infra/redis/memory.store';
import { MetricsService } from '../../../infra/metrics/metrics.service';
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
    switchToHttp: () => ({ getRequest: () => req, getResponse: () => ({}) }),
  } as unknown as ExecutionContext;
  return { ctx, req };
}

describe('AuthGuard', () => {
  const calls: VerifyOptions[] = [];
  // The real passport-jwt strategy over a verifier that admits every bearer as a patient.
  const verifier = {
    admit: (claims: Record<string, unknown>) =>
      Promise.resolve({ id: claims.sub, role: Role.Patient, sessionId: claims.sid }),
    requireMfa: (user: VerifiedAccess, options: VerifyOptions = {}) => {
      calls.push(options);
      return user;
    },
  } as unknown as AccessTokenVerifier;
  const auth = { jwtSecret: randomBytes(32).toString('hex'), jwtIssuer: 'i', jwtAudience: 'a' };
  new AccessTokenStrategy({ auth } as AppConfig, verifier);
  const sign = (secret: string, claims: Record<string, unknown> = {}): Promise<string> =>
    new JwtService({ secret }).signAsync(
      { role: Role.Patient, sid: 's1', typ: 'access', mfa: false, ...claims },
      { algorithm: 'HS256', subject: 'u1', issuer: auth.jwtIssuer, audience: auth.jwtAudience },
    );
  let good = '';
  let forged = '';
  beforeAll(async () => {
    good = `Bearer ${await sign(auth.jwtSecret)}`;
    forged = `Bearer ${await sign(randomUUID())}`;
  });
  const recorded: AccessDenial[] = [];
  const audit = {
    recordAccessDenied: (denial: AccessDenial) => {
      recorded.push(denial);
      return Promise.resolve('1');
    },
  } as unknown as AuditService;
  const store = new MemoryKeyValueStore('t:');
  const metrics = new MetricsService();
  const guard = new AuthGuard(
    new Reflector(),
    verifier,
    audit,
    new AnonymousRefusalBudget(store, metrics),
  );

  beforeEach(() => {
    calls.length = 0;
    recorded.length = 0;
  });
  afterAll(() => store.close());

  it('audits 401s on protected routes within a per-address budget', async () => {
    await expect(guard.canActivate(context('adminOnly').ctx)).rejects.toMatchObject({
      status: 401,
    });
    await expect(guard.canActivate(context('adminOnly', forged).ctx)).rejects.toMatchObject({
      status: 401,
    });
    expect(recorded.map((d) => [d.status, d.reason, d.route])).toEqual([
      [401, 'missing_token', 'GET /x/adminOnly'],
      [401, 'invalid_token', 'GET /x/adminOnly'],
    ]);
    for (let i = 0; i < UNAUTHENTICATED_AUDITS_PER_MINUTE + 5; i++) {
      await expect(guard.canActivate(context('adminOnly').ctx)).rejects.toMatchObject({
        status: 401,
      });
    }
    expect(recorded).toHaveLength(UNAUTHENTICATED_AUDITS_PER_MINUTE);
    expect(await metrics.registry.metrics()).toContain(
      'hekim_audit_unauthenticated_suppressed_total 7',
    );
  });

  it('audits role refusals of authenticated callers', async () => {
    await expect(guard.canActivate(context('adminOnly', good).ctx)).rejects.toMatchObject({
      status: 403,
    });
    expect(recorded).toEqual([
      expect.objectContaining({
        status: 403,
        reason: 'role',
        actor: expect.objectContaining({ userId: 'u1' }),
      }),
    ]);
  });

  it('lets public routes through without a token', async () => {
    await expect(guard.canActivate(context('open').ctx)).resolves.toBe(true);
  });

  it('refuses a route that declares no access, even with a valid token (default deny)', async () => {
    await expect(guard.canActivate(context('undeclared').ctx)).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
    });
    await expect(guard.canActivate(context('undeclared', good).ctx)).rejects.toMatchObject({
      code: 'FORBIDDEN',
      status: 403,
    });
  });

  it('checks roles and sets request.user', async () => {
    await expect(guard.canActivate(context('adminOnly', good).ctx)).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    const { ctx, req } = context('enrol', good);
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
