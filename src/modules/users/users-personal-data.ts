import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { hashPassword } from '../../common/crypto/password-hasher';
import {
  PersonalDataContributor,
  type PersonalDataSubject,
} from '../../common/personal-data/personal-data.contributor';
import { newErasedEmail } from './erased-identity';
import { toUserResponse } from './dto/user.response';
import { PatientProfileService } from './patient-profile/patient-profile.service';
import { UserStatus } from './user.entity';
import { UsersRepository } from './users.repository';
import { randomBytes } from 'node:crypto';
import {
  COMMON_MEASURES,
  DataCategory,
  DataSubjectGroup,
  LegalBasis,
  Processor,
  type ProcessingDeclaration,
} from '../../common/personal-data/processing';

// The users module's part of the data export and erasure: the account itself.
@Injectable()
export class UserAccountPersonalData extends PersonalDataContributor {
  readonly section = 'user';
  readonly tables = ['users'];
  readonly processing: ProcessingDeclaration = {
    dataCategories: [
      DataCategory.Identity,
      DataCategory.Contact,
      DataCategory.Authentication,
      DataCategory.Professional,
    ],
    dataSubjects: [DataSubjectGroup.Patients, DataSubjectGroup.Clinicians, DataSubjectGroup.Staff],
    purposes: [
      'running the account and signing in',
      'reaching the person (e-mail, SMS) about their appointments and account',
    ],
    legalBases: [LegalBasis.Contract, LegalBasis.LegalObligation],
    retention: 'while the account exists; erasure anonymizes it (30-day request)',
    internalRecipients: [
      'the person',
      'admin (account administration)',
      'doctor (their patients, under a care relationship or break-glass)',
    ],
    processors: [Processor.Smtp, Processor.Sms],
    securityMeasures: [
      ...COMMON_MEASURES,
      'argon2id password hashes',
      'MFA available, required per role (MFA_REQUIRED_ROLES)',
    ],
  };

  constructor(private readonly users: UsersRepository) {
    super();
  }

  async exportFor(subject: PersonalDataSubject, manager: EntityManager): Promise<unknown> {
    const user = await this.users.findById(subject.id, manager);
    return user ? toUserResponse(user) : null;
  }

  // The row stays (other records point at its id, which is the pseudonym the audit trail
  // keeps); what identifies the person is replaced and the account can never sign in.
  async eraseFor(subject: PersonalDataSubject, manager: EntityManager): Promise<number> {
    await this.users.update(
      subject.id,
      {
        email: newErasedEmail(subject.id),
        displayName: 'Erased user',
        passwordHash: await hashPassword(randomBytes(32).toString('base64url')),
        status: UserStatus.Deactivated,
        mfaEnabled: false,
      },
      manager,
    );
    return 1;
  }
}

// The encrypted patient profile (section `patientProfile`).
@Injectable()
export class PatientProfilePersonalData extends PersonalDataContributor {
  readonly section = 'patientProfile';
  readonly tables = ['patient_profiles', 'patient_data_keys'];
  readonly processing: ProcessingDeclaration = {
    dataCategories: [DataCategory.Identity, DataCategory.Health, DataCategory.Contact],
    dataSubjects: [DataSubjectGroup.Patients],
    purposes: ['identifying the patient for care (national id, date of birth, phone)'],
    legalBases: [LegalBasis.HealthCare, LegalBasis.ExplicitConsent],
    retention: 'while the account exists; erasure destroys the data key (crypto-shredding)',
    internalRecipients: ['the patient', 'doctor (under a care relationship or break-glass)'],
    processors: [],
    securityMeasures: [
      ...COMMON_MEASURES,
      'AES-256-GCM at rest under a per-person data key wrapped by PATIENT_DATA_MASTER_KEY',
      'keyed blind index for the national id',
    ],
  };

  constructor(private readonly profiles: PatientProfileService) {
    super();
  }

  exportFor(subject: PersonalDataSubject, manager: EntityManager): Promise<unknown> {
    return this.profiles.exportFor(subject.id, manager);
  }

  // Crypto-shredding: without the data key the stored ciphertext is noise.
  async eraseFor(subject: PersonalDataSubject, manager: EntityManager): Promise<number> {
    const { keys, profiles } = await this.profiles.shred(subject.id, manager);
    return keys + profiles;
  }
}
