// Over 400 lines on purpose: sign-in, refresh rotation, logout and registration share the
// token issuing and the lockout and audit steps that must stay in one place (docs/auth.md).
import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { AuthUser } from '../../common/auth/auth-user';
import { Role } from '../../common/auth/role';
import { hashPassword, verifyPassword } from '../../common/crypto/password-hasher';
import { AppException } from '../../common/errors/app.exception';
import type { RequestMeta } from '../../common/http/request-meta';
import { AuditAction, AuditOutcome } from '../audit/audit-action';
import { AuditService, type AuditEventInput } from '../audit/audit.service';
import { toUserResponse, type UserResponse } from '../users/dto/user.response';
import { type UserEntity, UserStatus } from '../users/user.entity';
import { UsersRepository } from '../users/users.repository';
import { auditActor } from '../../common/auth/auth-user';
import { UsersService } from '../users/users.service';
import { AuthErrors } from './auth.errors';
import { AuthMetrics } from './auth.metrics';
import type { LoginRequest, RegisterRequest, TokenPairResponse } from './dto/auth.dto';
import { LoginLockoutService } from './login-lockout.service';
import { MfaService } from './mfa/mfa.service';
import { AppConfig } from '../../config/app-config';
import { EmailVerificationService } from './email/email-verification.service';
import { AccountNotifier } from './notifier/account-notifier';
import { SessionRevocationReason } from './sessions/device-session.entity';
import { PrincipalStandings } from './sessions/principal-standings';
import { DeviceSessionsRepository } from './sessions/device-sessions.repository';
import { DeviceSessionsService } from './sessions/device-sessions.service';
import { AccessTokenService } from './tokens/access-token.service';
import { newOpaqueToken, sha256Hex } from './tokens/opaque-token';

type RefreshOutcome =
  | { ok: true; pair: TokenPairResponse; revokedSessionId?: undefined }
  | { ok: false; error: AppException; revokedSessionId?: string };

// Registration, sign-in, refresh rotation and logout.
@Injectable()
export class AuthService {
  // Verified against when the e-mail is unknown, so that both paths cost one argon2 verify.
  private dummyHash: Promise<string> | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly users: UsersRepository,
    private readonly usersService: UsersService,
    private readonly sessions: DeviceSessionsService,
    private readonly sessionsRepository: DeviceSessionsRepository,
    private readonly standings: PrincipalStandings,
    private readonly tokens: AccessTokenService,
    private readonly lockout: LoginLockoutService,
    private readonly mfa: MfaService,
    private readonly notifier: AccountNotifier,
    private readonly audit: AuditService,
    private readonly metrics: AuthMetrics,
    private readonly verification: EmailVerificationService,
    private readonly config: AppConfig,
  ) {}

  // Self-registration creates patients only. The answer is the same 201 whether or not the
  // address already has an account, so registration cannot be used to find out who has one:
  // a new account is told to verify its address (when AUTH_EMAIL_VERIFICATION=required), the
  // owner of an existing one gets an "account exists" mail (or, if they never verified, a
  // fresh verification link).
  async register(input: RegisterRequest, meta: RequestMeta): Promise<{ user: UserResponse }> {
    const required = this.config.auth.emailVerificationRequired;
    return this.dataSource.transaction(async (manager) => {
      const existing = await this.users.findByEmail(input.email, manager);
      if (!existing) {
        const user = await this.usersService.createAccount(
          { ...input, role: Role.Patient, locale: input.locale, emailVerified: !required },
          manager,
        );
        if (required) await this.verification.issue(user, manager);
        await this.audit.record(
          {
            action: AuditAction.AuthRegister,
            outcome: AuditOutcome.Success,
            actor: { ...auditActor(null, meta), userId: user.id, role: user.role },
            resource: { type: 'user', id: user.id },
            subjectId: user.id,
            requestId: meta.requestId,
            details: { emailVerification: required ? 'sent' : 'off' },
          },
          manager,
        );
        return { user: toUserResponse(user) };
      }
      // Same policy errors and the same hashing cost as the real path.
      this.usersService.checkPassword(input.password, input.email);
      await hashPassword(input.password);
      if (required && !existing.emailVerifiedAt && existing.status === UserStatus.Active)
        await this.verification.issue(existing, manager);
      else
        await this.notifier.send(
          {
            kind: 'account_exists',
            email: existing.email,
            locale: existing.locale ?? this.config.mail.defaultLocale,
          },
          manager,
        );
      await this.audit.record(
        {
          action: AuditAction.AuthRegister,
          outcome: AuditOutcome.Failure,
          actor: auditActor(null, meta),
          resource: { type: 'user', id: existing.id },
          subjectId: existing.id,
          requestId: meta.requestId,
          details: { reason: 'email_taken' },
        },
        manager,
      );
      return {
        user: {
          id: randomUUID(),
          email: input.email.toLowerCase(),
          displayName: input.displayName,
          role: Role.Patient,
          status: UserStatus.Active,
          mfaEnabled: false,
          locale: input.locale ?? null,
          createdAt: new Date().toISOString(),
        },
      };
    });
  }

  async login(input: LoginRequest, meta: RequestMeta): Promise<TokenPairResponse> {
    const email = input.email.toLowerCase();
    // Two independent steps, asked for at once: each is a round trip on every login's path.
    // The attempt is counted before any password is checked (LoginLockoutService.claim), so
    // parallel guesses cannot outrun the lock.
    const [claim, user] = await Promise.all([
      this.lockout.claim(email),
      this.users.findByEmail(email),
    ]);
    if (claim.lockedFor !== undefined) {
      await this.recordLogin(AuditOutcome.Denied, null, meta, { reason: 'locked' });
      if (claim.lockedNow) await this.audit.record(this.lockoutEvent(user, meta, claim.lockedFor));
      this.metrics.login('locked');
      throw AuthErrors.locked(claim.lockedFor);
    }

    const passwordOk = await verifyPassword(
      user?.passwordHash ?? (await this.dummy()),
      input.password,
    );
    if (!user || !passwordOk || user.status !== UserStatus.Active) {
      const reason = !user ? 'unknown_email' : !passwordOk ? 'bad_password' : 'deactivated';
      return this.failLogin(email, claim.attempt, user, meta, reason);
    }
    // Only once the password is right, so the answer tells a stranger nothing.
    if (this.config.auth.emailVerificationRequired && !user.emailVerifiedAt) {
      await this.recordLogin(AuditOutcome.Denied, user, meta, { reason: 'email_not_verified' });
      this.metrics.login('email_not_verified');
      throw AuthErrors.emailNotVerified();
    }
    if (user.mfaEnabled && input.otp === undefined) {
      await this.recordLogin(AuditOutcome.Failure, user, meta, { reason: 'mfa_required' });
      this.metrics.login('mfa_required');
      throw AuthErrors.mfaRequired();
    }

    const result = await this.dataSource.transaction(async (manager) => {
      let factor: string = 'none';
      if (user.mfaEnabled) {
        const second = await this.mfa.verifySecondFactor(user.id, input.otp ?? '', manager);
        if (!second) return undefined;
        factor = second;
      }
      const opened = await this.sessions.open(user.id, meta, manager);
      await this.audit.record(
        this.loginEvent(AuditOutcome.Success, user, meta, {
          sessionId: opened.session.id,
          secondFactor: factor,
        }),
        manager,
      );
      return opened;
    });
    if (!result) return this.failLogin(email, claim.attempt, user, meta, 'bad_otp');
    const [, pair] = await Promise.all([
      this.lockout.recordSuccess(email, claim.attempt),
      this.pair(user, result.session.id, result.refreshToken),
    ]);
    this.metrics.login('success');
    return pair;
  }

  async refresh(refreshToken: string, meta: RequestMeta): Promise<TokenPairResponse> {
    const outcome = await this.dataSource.transaction((manager): Promise<RefreshOutcome> =>
      this.rotate(sha256Hex(refreshToken), meta, manager),
    );
    if (outcome.revokedSessionId)
      await this.standings.changed({ sessionIds: [outcome.revokedSessionId], userIds: [] });
    if (!outcome.ok) throw outcome.error;
    return outcome.pair;
  }

  async logout(actor: AuthUser, meta: RequestMeta): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const revoked = await this.sessionsRepository.revoke(
        actor.sessionId,
        SessionRevocationReason.Logout,
        manager,
      );
      await this.audit.record(
        {
          action: AuditAction.AuthLogout,
          outcome: AuditOutcome.Success,
          actor: auditActor(actor, meta),
          resource: { type: 'session', id: actor.sessionId },
          subjectId: actor.id,
          requestId: meta.requestId,
          details: { alreadyEnded: !revoked },
        },
        manager,
      );
    });
    await this.standings.changed({ sessionIds: [actor.sessionId], userIds: [] });
  }

  // One refresh inside one transaction. Failures that change state (reuse, expiry) are
  // returned rather than thrown so that their revocation and audit record commit.
  private async rotate(
    tokenHash: string,
    meta: RequestMeta,
    manager: EntityManager,
  ): Promise<RefreshOutcome> {
    const sessionId = await this.sessionsRepository.claimRefreshToken(tokenHash, manager);
    if (!sessionId) {
      const known = await this.sessionsRepository.findRefreshToken(tokenHash, manager);
      if (!known) {
        await this.audit.record(
          this.refreshEvent(AuditOutcome.Failure, null, meta, { reason: 'unknown_token' }),
          manager,
        );
        return { ok: false, error: AuthErrors.invalidRefreshToken() };
      }
      // An already-rotated token came back: it was stolen, or a client replayed it. Either
      // way the whole family (the session) is ended.
      const session = await this.sessionsRepository.findByIdForUpdate(known.sessionId, manager);
      await this.sessionsRepository.revoke(
        known.sessionId,
        SessionRevocationReason.TokenReuse,
        manager,
      );
      await this.audit.record(
        {
          action: AuditAction.AuthTokenReuse,
          outcome: AuditOutcome.Denied,
          actor: { ...auditActor(null, meta), userId: session?.userId ?? null },
          resource: { type: 'session', id: known.sessionId },
          subjectId: session?.userId ?? null,
          requestId: meta.requestId,
          details: { sessionId: known.sessionId },
        },
        manager,
      );
      return { ok: false, error: AuthErrors.tokenReused(), revokedSessionId: known.sessionId };
    }

    const session = await this.sessionsRepository.findByIdForUpdate(sessionId, manager);
    const user = session ? await this.users.findById(session.userId, manager) : null;
    if (!session || !user || session.revokedAt) {
      await this.audit.record(
        this.refreshEvent(AuditOutcome.Failure, user, meta, { sessionId, reason: 'session_ended' }),
        manager,
      );
      return { ok: false, error: AuthErrors.invalidRefreshToken() };
    }
    const now = new Date();
    const ended =
      user.status !== UserStatus.Active
        ? SessionRevocationReason.UserDeactivated
        : this.sessions.endReason(session, now);
    if (ended) {
      await this.sessionsRepository.revoke(sessionId, ended, manager);
      await this.audit.record(
        this.refreshEvent(AuditOutcome.Failure, user, meta, { sessionId, reason: ended }),
        manager,
      );
      return { ok: false, error: AuthErrors.invalidRefreshToken(), revokedSessionId: sessionId };
    }

    const next = newOpaqueToken();
    await this.sessionsRepository.addRefreshToken(sessionId, sha256Hex(next), manager);
    await this.sessionsRepository.touch(sessionId, now, manager);
    await this.audit.record(
      this.refreshEvent(AuditOutcome.Success, user, meta, { sessionId }),
      manager,
    );
    return { ok: true, pair: await this.pair(user, sessionId, next) };
  }

  private async failLogin(
    email: string,
    attempt: number,
    user: UserEntity | null,
    meta: RequestMeta,
    reason: string,
  ): Promise<never> {
    const lockSeconds = await this.lockout.recordFailure(email, attempt);
    await this.dataSource.transaction(async (manager) => {
      await this.audit.record(
        this.loginEvent(AuditOutcome.Failure, user, meta, { reason }),
        manager,
      );
      if (lockSeconds > 0)
        await this.audit.record(this.lockoutEvent(user, meta, lockSeconds), manager);
    });
    this.metrics.login('invalid_credentials');
    throw AuthErrors.invalidCredentials();
  }

  private lockoutEvent(
    user: UserEntity | null,
    meta: RequestMeta,
    lockSeconds: number,
  ): AuditEventInput {
    return {
      action: AuditAction.AuthLockout,
      outcome: AuditOutcome.Denied,
      actor: auditActor(null, meta),
      resource: { type: 'user', id: user?.id ?? null },
      subjectId: user?.id ?? null,
      requestId: meta.requestId,
      details: { lockSeconds },
    };
  }

  private async pair(
    user: UserEntity,
    sessionId: string,
    refreshToken: string,
  ): Promise<TokenPairResponse> {
    const access = await this.tokens.issue({
      userId: user.id,
      role: user.role,
      sessionId,
      mfaEnrolled: user.mfaEnabled,
    });
    return {
      accessToken: access.token,
      refreshToken,
      tokenType: 'Bearer',
      expiresIn: access.expiresIn,
      user: toUserResponse(user),
    };
  }

  private dummy(): Promise<string> {
    this.dummyHash ??= hashPassword(newOpaqueToken());
    return this.dummyHash;
  }

  private async recordLogin(
    outcome: AuditOutcome,
    user: UserEntity | null,
    meta: RequestMeta,
    details: Record<string, unknown>,
  ): Promise<void> {
    await this.audit.record(this.loginEvent(outcome, user, meta, details));
  }

  private loginEvent(
    outcome: AuditOutcome,
    user: UserEntity | null,
    meta: RequestMeta,
    details: Record<string, unknown>,
  ): AuditEventInput {
    return {
      action: AuditAction.AuthLogin,
      outcome,
      actor: { ...auditActor(null, meta), userId: user?.id ?? null, role: user?.role ?? null },
      resource: { type: 'user', id: user?.id ?? null },
      subjectId: user?.id ?? null,
      requestId: meta.requestId,
      details,
    };
  }

  private refreshEvent(
    outcome: AuditOutcome,
    user: UserEntity | null,
    meta: RequestMeta,
    details: Record<string, unknown>,
  ): AuditEventInput {
    return {
      action: AuditAction.AuthRefresh,
      outcome,
      actor: { ...auditActor(null, meta), userId: user?.id ?? null, role: user?.role ?? null },
      resource: {
        type: 'session',
        id: typeof details.sessionId === 'string' ? details.sessionId : null,
      },
      subjectId: user?.id ?? null,
      requestId: meta.requestId,
      details,
    };
  }
}
