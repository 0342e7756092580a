import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { hashPassword } from '../../../common/crypto/password-hasher';
import type { RequestMeta } from '../../../common/http/request-meta';
import { AppConfig } from '../../../config/app-config';
import { KeyValueStore } from '../../../infra/redis/key-value.store';
import { AuditAction, AuditOutcome } from '../../audit/audit-action';
import { AuditService } from '../../audit/audit.service';
import { UserStatus } from '../../users/user.entity';
import { UsersRepository } from '../../users/users.repository';
import { auditActor } from '../../../common/auth/auth-user';
import { UsersService } from '../../users/users.service';
import { AuthErrors } from '../auth.errors';
import { LoginLockoutService } from '../login-lockout.service';
import { AccountNotifier } from '../notifier/account-notifier';
import { DeviceSessionsService } from '../sessions/device-sessions.service';
import { newOpaqueToken, sha256Hex } from '../tokens/opaque-token';
import { SingleUseTokenPurpose } from '../tokens/single-use-token.entity';
import { SingleUseTokenRepository } from '../tokens/single-use-token.repository';

// Reset links one account may be sent per hour, whatever addresses ask for them (the
// per-address limit is the credential throttler's): an attacker cannot flood a mailbox or
// pile up live tokens.
export const RESET_REQUESTS_PER_ACCOUNT_PER_HOUR = 3;

const PURPOSE = SingleUseTokenPurpose.PasswordReset;

// Forgot/reset: a single-use token, stored hashed, delivered through the AccountNotifier.
@Injectable()
export class PasswordResetService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tokens: SingleUseTokenRepository,
    private readonly users: UsersRepository,
    private readonly usersService: UsersService,
    private readonly sessions: DeviceSessionsService,
    private readonly lockout: LoginLockoutService,
    private readonly notifier: AccountNotifier,
    private readonly audit: AuditService,
    private readonly config: AppConfig,
    private readonly store: KeyValueStore,
  ) {}

  // Always succeeds from the caller's point of view (202): the answer never says whether the
  // address has an account.
  async forgot(email: string, meta: RequestMeta): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const user = await this.users.findByEmail(email, manager);
      const active = user !== null && user.status === UserStatus.Active;
      const withinBudget =
        active &&
        (await this.store.increment(`auth:reset-requests:${user.id}`, 3600)) <=
          RESET_REQUESTS_PER_ACCOUNT_PER_HOUR;
      if (withinBudget) {
        const token = newOpaqueToken();
        const expiresAt = new Date(Date.now() + this.config.auth.passwordResetTtlSeconds * 1000);
        await this.tokens.create(PURPOSE, user.id, sha256Hex(token), expiresAt, manager);
        await this.notifier.send(
          {
            kind: 'password_reset',
            email: user.email,
            locale: user.locale ?? this.config.mail.defaultLocale,
            token,
            expiresAt,
          },
          manager,
        );
      }
      await this.audit.record(
        {
          action: AuditAction.AuthPasswordResetRequest,
          outcome: withinBudget ? AuditOutcome.Success : AuditOutcome.Failure,
          actor: auditActor(null, meta),
          resource: { type: 'user', id: user?.id ?? null },
          subjectId: user?.id ?? null,
          requestId: meta.requestId,
          details: withinBudget
            ? {}
            : { reason: active ? 'rate_limited' : user ? 'deactivated' : 'unknown_email' },
        },
        manager,
      );
    });
  }

  async reset(token: string, newPassword: string, meta: RequestMeta): Promise<void> {
    const outcome = await this.dataSource.transaction(async (manager) => {
      const reset = await this.tokens.findByHashForUpdate(PURPOSE, sha256Hex(token), manager);
      const user = reset ? await this.users.findByIdForUpdate(reset.userId, manager) : null;
      const usable =
        reset !== null &&
        user !== null &&
        reset.usedAt === null &&
        reset.expiresAt.getTime() > Date.now() &&
        user.status === UserStatus.Active;
      if (!usable) {
        await this.audit.record(
          {
            action: AuditAction.AuthPasswordReset,
            outcome: AuditOutcome.Failure,
            actor: auditActor(null, meta),
            resource: { type: 'user', id: user?.id ?? null },
            subjectId: user?.id ?? null,
            requestId: meta.requestId,
            details: { reason: reset ? 'used_or_expired' : 'unknown_token' },
          },
          manager,
        );
        return undefined;
      }
      this.usersService.checkPassword(newPassword, user.email, 'newPassword');
      await this.users.update(user.id, { passwordHash: await hashPassword(newPassword) }, manager);
      await this.tokens.consumeAllForUser(PURPOSE, user.id, manager);
      const revoked = await this.sessions.revokeAllForUser(user.id, 'password_reset', manager);
      await this.audit.record(
        {
          action: AuditAction.AuthPasswordReset,
          outcome: AuditOutcome.Success,
          actor: { ...auditActor(null, meta), userId: user.id, role: user.role },
          resource: { type: 'user', id: user.id },
          subjectId: user.id,
          requestId: meta.requestId,
          details: { sessionsRevoked: revoked.length },
        },
        manager,
      );
      return { email: user.email, revoked };
    });
    if (!outcome) throw AuthErrors.invalidResetToken();
    await this.sessions.propagate(outcome.revoked);
    // The owner proved control of the mailbox: earlier failed attempts no longer count.
    await this.lockout.clear(outcome.email);
  }
}
