import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { auditActor, type AuthUser } from '../../../common/auth/auth-user';
import { Role } from '../../../common/auth/role';
import type { RequestMeta } from '../../../common/http/request-meta';
import { AppConfig } from '../../../config/app-config';
import { AuditAction, AuditOutcome } from '../../audit/audit-action';
import { AuditService } from '../../audit/audit.service';
import { UserAccessPolicy } from '../user-access.policy';
import { UsersErrors } from '../users.errors';
import { UsersRepository } from '../users.repository';
import type { PatientProfileResponse, PutPatientProfileRequest } from './dto/patient-profile.dto';
import { PatientDataCipher, type ProfileField } from './patient-data-cipher';
import type { PatientProfileEntity } from './patient-profile.entity';
import { PatientProfileRepository } from './patient-profile.repository';

const FIELDS: readonly ProfileField[] = ['nationalId', 'dateOfBirth', 'phone'];

// The encrypted patient profile: reads decrypt with the person's data key, writes encrypt
// with it (creating it on the first write). Plaintext exists only in memory and in responses.
@Injectable()
export class PatientProfileService {
  readonly cipher: PatientDataCipher;

  constructor(
    private readonly dataSource: DataSource,
    private readonly profiles: PatientProfileRepository,
    private readonly users: UsersRepository,
    private readonly access: UserAccessPolicy,
    private readonly audit: AuditService,
    config: AppConfig,
  ) {
    const { masterKey, previousMasterKeys, indexKey } = config.patientData;
    this.cipher = new PatientDataCipher(masterKey, previousMasterKeys, indexKey);
  }

  async getMine(actor: AuthUser): Promise<PatientProfileResponse> {
    return this.read(actor.id);
  }

  putMine(
    actor: AuthUser,
    body: PutPatientProfileRequest,
    meta: RequestMeta,
  ): Promise<PatientProfileResponse> {
    return this.dataSource.transaction(async (manager) => {
      const dataKey = await this.dataKeyForWrite(actor.id, manager);
      const value = (field: ProfileField): string | null => {
        const plain = body[field];
        return plain === undefined || plain === null
          ? null
          : this.cipher.encryptField(dataKey, actor.id, field, plain);
      };
      const saved = await this.profiles.saveProfile(
        {
          userId: actor.id,
          nationalId: value('nationalId'),
          nationalIdIndex: body.nationalId ? this.cipher.nationalIdIndex(body.nationalId) : null,
          dateOfBirth: value('dateOfBirth'),
          phone: value('phone'),
        },
        manager,
      );
      await this.audit.record(
        {
          action: AuditAction.PatientProfileUpdate,
          outcome: AuditOutcome.Success,
          actor: auditActor(actor, meta),
          resource: { type: 'patient_profile', id: actor.id },
          subjectId: actor.id,
          requestId: meta.requestId,
          // Which fields hold a value now; never the values.
          details: { fieldsSet: FIELDS.filter((f) => body[f] !== undefined && body[f] !== null) },
        },
        manager,
      );
      return this.decrypt(actor.id, saved, dataKey);
    });
  }

  // Another person's profile: a doctor treating them (an active care relationship), or under
  // break-glass. Every read and every refusal is audited with its basis; a break-glass read
  // under its own action, with the grant id.
  async getFor(
    actor: AuthUser,
    patientId: string,
    meta: RequestMeta,
  ): Promise<PatientProfileResponse> {
    const target = await this.users.findById(patientId);
    const basis =
      target && target.role === Role.Patient
        ? await this.access.clinicalAccess(actor, patientId)
        : null;
    await this.audit.record({
      action:
        basis?.basis === 'break_glass'
          ? AuditAction.BreakGlassAccess
          : AuditAction.PatientProfileRead,
      outcome: basis ? AuditOutcome.Success : AuditOutcome.Denied,
      actor: auditActor(actor, meta),
      resource: { type: 'patient_profile', id: patientId },
      subjectId: basis ? patientId : null,
      requestId: meta.requestId,
      details: basis ?? { reason: target?.role === Role.Patient ? 'not_allowed' : 'not_found' },
    });
    // Not allowed and not a patient look the same.
    if (!basis) throw UsersErrors.notFound();
    return this.read(patientId);
  }

  // User ids whose national id is `nationalId`, through the blind index.
  userIdsByNationalId(nationalId: string): Promise<string[]> {
    return this.profiles.userIdsByNationalIdIndex(this.cipher.nationalIdIndex(nationalId));
  }

  // For the data export, inside its transaction.
  async exportFor(userId: string, manager: EntityManager): Promise<PatientProfileResponse | null> {
    const profile = await this.profiles.findProfile(userId, manager);
    const key = await this.profiles.findKey(userId, manager);
    if (!profile || !key) return null;
    return this.decrypt(userId, profile, this.cipher.unwrap(userId, key));
  }

  // The person's data key for reading what was sealed with it; null when they never had one
  // or an erasure shredded it (what it sealed is then unreadable for good).
  async dataKey(userId: string, manager?: EntityManager): Promise<Buffer | null> {
    const key = await this.profiles.findKey(userId, manager);
    return key ? this.cipher.unwrap(userId, key) : null;
  }

  shred(userId: string, manager: EntityManager): Promise<{ keys: number; profiles: number }> {
    return this.profiles.shred(userId, manager);
  }

  private async read(userId: string): Promise<PatientProfileResponse> {
    const profile = await this.profiles.findProfile(userId);
    const key = await this.profiles.findKey(userId);
    // No key: never written, or crypto-shredded by an erasure; either way nothing to show.
    if (!profile || !key) {
      return { userId, nationalId: null, dateOfBirth: null, phone: null, updatedAt: null };
    }
    return this.decrypt(userId, profile, this.cipher.unwrap(userId, key));
  }

  // The person's data key for sealing more of their data (the chat's messages and files,
  // docs/chat.md), created on first use; inside the caller's transaction.
  async dataKeyForWrite(userId: string, manager: EntityManager): Promise<Buffer> {
    const existing = await this.profiles.findKeyForUpdate(userId, manager);
    if (existing) return this.cipher.unwrap(userId, existing);
    const stored = await this.profiles.insertKeyIfAbsent(
      { userId, ...this.cipher.wrap(userId, this.cipher.newDataKey()) },
      manager,
    );
    return this.cipher.unwrap(userId, stored);
  }

  private decrypt(
    userId: string,
    profile: PatientProfileEntity,
    dataKey: Buffer,
  ): PatientProfileResponse {
    const field = (name: ProfileField): string | null => {
      const sealed = profile[name];
      return sealed === null ? null : this.cipher.decryptField(dataKey, userId, name, sealed);
    };
    return {
      userId,
      nationalId: field('nationalId'),
      dateOfBirth: field('dateOfBirth'),
      phone: field('phone'),
      updatedAt: profile.updatedAt.toISOString(),
    };
  }
}
