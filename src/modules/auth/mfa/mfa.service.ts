import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { generateSecret, generateURI, verify } from 'otplib';
import { DataSource, type EntityManager } from 'typeorm';
import type { AuthUser } from '../../../common/auth/auth-user';
import { AppException } from '../../../common/errors/app.exception';
import type { RequestMeta } from '../../../common/http/request-meta';
import { AppConfig } from '../../../config/app-config';
import { KeyValueStore } from '../../../infra/redis/key-value.store';
import { AuditAction, AuditOutcome } from '../../audit/audit-action';
import { AuditService } from '../../audit/audit.service';
import { UsersRepository } from '../../users/users.repository';
import { auditActor } from '../../../common/auth/auth-user';
import { AuthErrors } from '../auth.errors';
import { sha256Hex } from '../tokens/opaque-token';
import { MfaRepository } from './mfa.repository';
import { SecretBox } from './secret-box';

export const RECOVERY_CODE_COUNT = 10;
// Codes one account may try to enable or disable MFA within the window, whatever addresses
// they come from; a success starts the count again. (At login, codes count against the
// login lockout.)
export const MFA_CODES_PER_ACCOUNT = 5;
const MFA_CODE_WINDOW_SECONDS = 15 * 60;
// One 30-second step either side absorbs clock drift between phone and server.
const EPOCH_TOLERANCE_SECONDS = 30;
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
const TOTP_CODE = /^\d{6}$/;

export type SecondFactor = 'totp' | 'recovery_code';

function newRecoveryCode(): string {
  // 16 base32 characters = 80 random bits, grouped for reading aloud.
  const chars = [...randomBytes(16)].map((b) => BASE32[b & 31]).join('');
  return chars.match(/.{4}/g)!.join('-');
}

export function normaliseRecoveryCode(code: string): string {
  return code.trim().toLowerCase();
}

// TOTP (RFC 6238) through otplib: setup, enable with recovery codes, disable, and the
// second factor at login. Replays are refused by remembering the last accepted time step.
@Injectable()
export class MfaService {
  private readonly box: SecretBox;

  constructor(
    private readonly dataSource: DataSource,
    private readonly repository: MfaRepository,
    private readonly users: UsersRepository,
    private readonly audit: AuditService,
    private readonly config: AppConfig,
    private readonly store: KeyValueStore,
  ) {
    this.box = new SecretBox(config.encryption.dataEncryptionKey, 'hekim:mfa-totp-secret');
  }

  setup(actor: AuthUser, meta: RequestMeta): Promise<{ secret: string; otpauthUrl: string }> {
    return this.dataSource.transaction(async (manager) => {
      const user = await this.users.findByIdForUpdate(actor.id, manager);
      if (!user) throw AppException.unauthorized();
      if (user.mfaEnabled) throw AuthErrors.mfaAlreadyEnabled();
      const secret = generateSecret();
      await this.repository.saveSetup(user.id, this.box.seal(secret), manager);
      await this.audit.record(
        {
          action: AuditAction.AuthMfaSetup,
          outcome: AuditOutcome.Success,
          actor: auditActor(actor, meta),
          resource: { type: 'user', id: user.id },
          subjectId: user.id,
          requestId: meta.requestId,
        },
        manager,
      );
      const otpauthUrl = generateURI({ issuer: 'Hekim', label: user.email, secret });
      return { secret, otpauthUrl };
    });
  }

  async enable(
    actor: AuthUser,
    otp: string,
    meta: RequestMeta,
  ): Promise<{ recoveryCodes: string[] }> {
    await this.claimCodeAttempt(actor, AuditAction.AuthMfaEnable, meta);
    const result = await this.dataSource.transaction(async (manager) => {
      const mfa = await this.repository.findForUpdate(actor.id, manager);
      if (!mfa) throw AuthErrors.mfaNotSetUp();
      if (mfa.enabledAt) throw AuthErrors.mfaAlreadyEnabled();
      const step = await this.checkTotp(this.box.open(mfa.secretCiphertext), otp, null);
      if (step === undefined) return { ok: false as const };
      await this.repository.enable(actor.id, step, manager);
      await this.users.update(actor.id, { mfaEnabled: true }, manager);
      const recoveryCodes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
      await this.repository.replaceRecoveryCodes(actor.id, recoveryCodes.map(sha256Hex), manager);
      await this.recordMfa(
        AuditAction.AuthMfaEnable,
        AuditOutcome.Success,
        actor,
        meta,
        {},
        manager,
      );
      return { ok: true as const, recoveryCodes };
    });
    if (result.ok) await this.store.delete(this.codeKey(actor.id));
    if (!result.ok) {
      await this.recordMfa(AuditAction.AuthMfaEnable, AuditOutcome.Failure, actor, meta, {
        reason: 'invalid_otp',
      });
      throw AuthErrors.invalidOtp();
    }
    return { recoveryCodes: result.recoveryCodes };
  }

  async disable(actor: AuthUser, otp: string, meta: RequestMeta): Promise<void> {
    if (this.config.auth.mfaRequiredRoles.includes(actor.role)) {
      await this.recordMfa(AuditAction.AuthMfaDisable, AuditOutcome.Denied, actor, meta, {
        reason: 'required_for_role',
      });
      throw AuthErrors.mfaRequiredForRole();
    }
    await this.claimCodeAttempt(actor, AuditAction.AuthMfaDisable, meta);
    const ok = await this.dataSource.transaction(async (manager) => {
      const mfa = await this.repository.findForUpdate(actor.id, manager);
      if (!mfa?.enabledAt) throw AuthErrors.mfaNotEnabled();
      if (!(await this.verifySecondFactor(actor.id, otp, manager))) return false;
      await this.repository.remove(actor.id, manager);
      await this.users.update(actor.id, { mfaEnabled: false }, manager);
      await this.recordMfa(
        AuditAction.AuthMfaDisable,
        AuditOutcome.Success,
        actor,
        meta,
        {},
        manager,
      );
      return true;
    });
    if (ok) await this.store.delete(this.codeKey(actor.id));
    if (!ok) {
      await this.recordMfa(AuditAction.AuthMfaDisable, AuditOutcome.Failure, actor, meta, {
        reason: 'invalid_otp',
      });
      throw AuthErrors.invalidOtp();
    }
  }

  // The second factor at login (or to disable MFA): a fresh TOTP code, or an unused
  // recovery code, consumed inside the caller's transaction.
  async verifySecondFactor(
    userId: string,
    otp: string,
    manager: EntityManager,
  ): Promise<SecondFactor | undefined> {
    const mfa = await this.repository.find(userId, manager);
    if (!mfa?.enabledAt) return undefined;
    if (TOTP_CODE.test(otp)) {
      const step = await this.checkTotp(this.box.open(mfa.secretCiphertext), otp, mfa.lastTimeStep);
      if (step === undefined) return undefined;
      return (await this.repository.claimTimeStep(userId, step, manager)) ? 'totp' : undefined;
    }
    const consumed = await this.repository.consumeRecoveryCode(
      userId,
      sha256Hex(normaliseRecoveryCode(otp)),
      manager,
    );
    return consumed ? 'recovery_code' : undefined;
  }

  private codeKey(userId: string): string {
    return `auth:mfa-codes:${userId}`;
  }

  // Counts a code before it is checked (atomic in the shared store, so parallel guesses
  // cannot outrun it); past the budget, refused with RATE_LIMITED even when it is right.
  private async claimCodeAttempt(
    actor: AuthUser,
    action: AuditAction,
    meta: RequestMeta,
  ): Promise<void> {
    const key = this.codeKey(actor.id);
    const count = await this.store.increment(key, MFA_CODE_WINDOW_SECONDS);
    if (count <= MFA_CODES_PER_ACCOUNT) return;
    await this.recordMfa(action, AuditOutcome.Denied, actor, meta, { reason: 'rate_limited' });
    throw AuthErrors.tooManyCodes(Math.max(1, await this.store.ttl(key)));
  }

  private async checkTotp(
    secret: string,
    otp: string,
    lastTimeStep: string | null,
  ): Promise<number | undefined> {
    if (!TOTP_CODE.test(otp)) return undefined;
    const result = await verify({
      secret,
      token: otp,
      epochTolerance: EPOCH_TOLERANCE_SECONDS,
      ...(lastTimeStep !== null ? { afterTimeStep: Number(lastTimeStep) } : {}),
    });
    return result.valid && 'timeStep' in result ? result.timeStep : undefined;
  }

  private async recordMfa(
    action: AuditAction,
    outcome: AuditOutcome,
    actor: AuthUser,
    meta: RequestMeta,
    details: Record<string, unknown>,
    manager?: EntityManager,
  ): Promise<void> {
    await this.audit.record(
      {
        action,
        outcome,
        actor: auditActor(actor, meta),
        resource: { type: 'user', id: actor.id },
        subjectId: actor.id,
        requestId: meta.requestId,
        details,
      },
      manager,
    );
  }
}
