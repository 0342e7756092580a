import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  affectedRows,
  PersonalDataContributor,
  type PersonalDataSubject,
} from '../../common/personal-data/personal-data.contributor';
import {
  COMMON_MEASURES,
  DataCategory,
  DataSubjectGroup,
  LegalBasis,
  Processor,
  type ProcessingDeclaration,
} from '../../common/personal-data/processing';

type Row = Record<string, unknown>;

// The auth module's part of the data export and erasure, one section per kind of record.
// Token hashes and one-time codes are secrets: never exported, destroyed on erasure. (SQL here
// plays the part of a repository for these read-everything and wipe-everything queries on the
// module's own tables; its repositories stay focused on sign-in.)

// Device sessions and their refresh tokens.
@Injectable()
export class DeviceSessionsPersonalData extends PersonalDataContributor {
  readonly section = 'deviceSessions';
  readonly tables = ['auth_sessions', 'auth_refresh_tokens'];
  readonly processing: ProcessingDeclaration = {
    dataCategories: [DataCategory.Authentication, DataCategory.Device, DataCategory.Security],
    dataSubjects: [DataSubjectGroup.Patients, DataSubjectGroup.Clinicians, DataSubjectGroup.Staff],
    purposes: ['keeping people signed in; detecting stolen refresh tokens'],
    legalBases: [LegalBasis.Contract, LegalBasis.LegitimateInterest],
    retention: 'until the session ends, expires (REFRESH_TOKEN_TTL_SECONDS) or is revoked',
    internalRecipients: ['the person (their devices)', 'admin (revocation)'],
    processors: [],
    securityMeasures: [
      ...COMMON_MEASURES,
      'refresh tokens stored as hashes, rotated with reuse detection',
    ],
  };

  exportFor(subject: PersonalDataSubject, m: EntityManager): Promise<unknown> {
    return m.query<Row[]>(
      `SELECT id, user_agent AS "userAgent", ip, created_at AS "createdAt",
              last_used_at AS "lastUsedAt", expires_at AS "expiresAt",
              revoked_at AS "revokedAt", revoked_reason AS "revokedReason"
         FROM auth_sessions WHERE user_id = $1 ORDER BY created_at`,
      [subject.id],
    );
  }

  // The sessions were revoked by the erasure already; what identifies the devices goes.
  async eraseFor(subject: PersonalDataSubject, m: EntityManager): Promise<number> {
    const tokens = await affectedRows(
      m,
      `DELETE FROM auth_refresh_tokens WHERE session_id IN
         (SELECT id FROM auth_sessions WHERE user_id = $1)`,
      [subject.id],
    );
    const sessions = await affectedRows(
      m,
      `UPDATE auth_sessions SET user_agent = NULL, ip = NULL WHERE user_id = $1`,
      [subject.id],
    );
    return tokens + sessions;
  }
}

// The second factor: whether it is set up and how many recovery codes are left.
@Injectable()
export class MfaPersonalData extends PersonalDataContributor {
  readonly section = 'mfa';
  readonly tables = ['auth_mfa', 'auth_recovery_codes'];
  readonly processing: ProcessingDeclaration = {
    dataCategories: [DataCategory.Authentication, DataCategory.Security],
    dataSubjects: [DataSubjectGroup.Patients, DataSubjectGroup.Clinicians, DataSubjectGroup.Staff],
    purposes: ['second factor at sign-in'],
    legalBases: [LegalBasis.Contract, LegalBasis.LegalObligation],
    retention: 'until MFA is disabled or the account is erased',
    internalRecipients: ['the person'],
    processors: [],
    securityMeasures: [
      ...COMMON_MEASURES,
      'TOTP secret encrypted at rest (DATA_ENCRYPTION_KEY)',
      'recovery codes stored as hashes',
    ],
  };

  async exportFor(subject: PersonalDataSubject, m: EntityManager): Promise<unknown> {
    const [mfa] = await m.query<Row[]>(
      `SELECT created_at AS "setUpAt", enabled_at AS "enabledAt" FROM auth_mfa WHERE user_id = $1`,
      [subject.id],
    );
    const [codes] = await m.query<{ unused: number }[]>(
      `SELECT count(*)::int AS unused FROM auth_recovery_codes WHERE user_id = $1 AND used_at IS NULL`,
      [subject.id],
    );
    return { enrolled: mfa !== undefined, ...(mfa ?? {}), unusedRecoveryCodes: codes.unused };
  }

  async eraseFor(subject: PersonalDataSubject, m: EntityManager): Promise<number> {
    return (
      (await affectedRows(m, `DELETE FROM auth_recovery_codes WHERE user_id = $1`, [subject.id])) +
      (await affectedRows(m, `DELETE FROM auth_mfa WHERE user_id = $1`, [subject.id]))
    );
  }
}

// E-mail verifications and password resets (the messages that carried them are the outbox's
// part, section `messages`).
@Injectable()
export class SingleUseTokensPersonalData extends PersonalDataContributor {
  readonly section = 'passwordResets';
  readonly tables = ['auth_single_use_tokens'];
  readonly processing: ProcessingDeclaration = {
    dataCategories: [DataCategory.Authentication, DataCategory.Contact],
    dataSubjects: [DataSubjectGroup.Patients, DataSubjectGroup.Clinicians, DataSubjectGroup.Staff],
    purposes: ['password reset and e-mail verification links'],
    legalBases: [LegalBasis.Contract],
    retention: 'until used or expired (hours); erasure deletes them',
    internalRecipients: ['nobody (the link goes to the person)'],
    processors: [Processor.Smtp],
    securityMeasures: [...COMMON_MEASURES, 'tokens stored as hashes, single use'],
  };

  async exportFor(subject: PersonalDataSubject, m: EntityManager): Promise<unknown> {
    return {
      emailVerifications: await this.ofPurpose(subject.id, 'email_verification', m),
      resets: await this.ofPurpose(subject.id, 'password_reset', m),
    };
  }

  eraseFor(subject: PersonalDataSubject, m: EntityManager): Promise<number> {
    return affectedRows(m, `DELETE FROM auth_single_use_tokens WHERE user_id = $1`, [subject.id]);
  }

  private ofPurpose(userId: string, purpose: string, m: EntityManager): Promise<Row[]> {
    return m.query<Row[]>(
      `SELECT created_at AS "createdAt", expires_at AS "expiresAt", used_at AS "usedAt"
         FROM auth_single_use_tokens
        WHERE user_id = $1 AND purpose = $2 ORDER BY created_at`,
      [userId, purpose],
    );
  }
}
