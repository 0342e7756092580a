import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { auditActor } from '../../../common/auth/auth-user';
import type { RequestMeta } from '../../../common/http/request-meta';
import { AppConfig } from '../../../config/app-config';
import { AuditAction, AuditOutcome } from '../../audit/audit-action';
import { AuditService } from '../../audit/audit.service';
import { type UserEntity, UserStatus } from '../../users/user.entity';
import { UsersRepository } from '../../users/users.repository';
import { AuthErrors } from '../auth.errors';
import { AccountNotifier } from '../notifier/account-notifier';
import { newOpaqueToken, sha256Hex } from '../tokens/opaque-token';
import { SingleUseTokenPurpose } from '../tokens/single-use-token.entity';
import { SingleUseTokenRepository } from '../tokens/single-use-token.repository';

// How long a verification link works.
export const EMAIL_VERIFICATION_TTL_SECONDS = 24 * 3600;

const PURPOSE = SingleUseTokenPurpose.EmailVerification;

// E-mail verification (docs/auth.md): a single-use token, stored hashed, mailed to the
// address; presenting it marks the address verified.
@Injectable()
export class EmailVerificationService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tokens: SingleUseTokenRepository,
    private readonly users: UsersRepository,
    private readonly notifier: AccountNotifier,
    private readonly audit: AuditService,
    private readonly config: AppConfig,
  ) {}

  // Mails a fresh link to the user, in the caller's transaction.
  async issue(user: UserEntity, manager: EntityManager): Promise<void> {
    const token = newOpaqueToken();
    const expiresAt = new Date(Date.now() + EMAIL_VERIFICATION_TTL_SECONDS * 1000);
    await this.tokens.create(PURPOSE, user.id, sha256Hex(token), expiresAt, manager);
    await this.notifier.send(
      {
        kind: 'email_verification',
        email: user.email,
        locale: user.locale ?? this.config.mail.defaultLocale,
        token,
        expiresAt,
      },
      manager,
    );
  }

  async verify(token: string, meta: RequestMeta): Promise<void> {
    const ok = await this.dataSource.transaction(async (manager) => {
      const found = await this.tokens.findByHashForUpdate(PURPOSE, sha256Hex(token), manager);
      const user = found ? await this.users.findByIdForUpdate(found.userId, manager) : null;
      const usable =
        found !== null &&
        user !== null &&
        found.usedAt === null &&
        found.expiresAt.getTime() > Date.now() &&
        user.status === UserStatus.Active;
      await this.audit.record(
        {
          action: AuditAction.AuthEmailVerify,
          outcome: usable ? AuditOutcome.Success : AuditOutcome.Failure,
          actor: user
            ? { ...auditActor(null, meta), userId: user.id, role: user.role }
            : auditActor(null, meta),
          resource: { type: 'user', id: user?.id ?? null },
          subjectId: user?.id ?? null,
          requestId: meta.requestId,
          details: usable ? {} : { reason: found ? 'used_or_expired' : 'unknown_token' },
        },
        manager,
      );
      if (!usable) return false;
      await this.tokens.consumeAllForUser(PURPOSE, user.id, manager);
      if (!user.emailVerifiedAt)
        await this.users.update(user.id, { emailVerifiedAt: new Date() }, manager);
      return true;
    });
    if (!ok) throw AuthErrors.invalidVerificationToken();
  }
}
