import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { hashPassword } from '../../common/crypto/password-hasher';
import { PersonalDataRegistry } from '../compliance/personal-data/personal-data-registry';
import { newErasedEmail } from './erased-identity';
import { toUserResponse } from './dto/user.response';
import { PatientProfileService } from './patient-profile/patient-profile.service';
import { UserStatus } from './user.entity';
import { UsersRepository } from './users.repository';
import { randomBytes } from 'node:crypto';

// The users module's part of the data export and erasure: the account itself (section
// `user`) and the encrypted patient profile (section `patientProfile`).
@Injectable()
export class UsersPersonalData implements OnModuleInit {
  constructor(
    private readonly registry: PersonalDataRegistry,
    private readonly users: UsersRepository,
    private readonly profiles: PatientProfileService,
  ) {}

  onModuleInit(): void {
    this.registry.register({
      section: 'user',
      tables: ['users'],
      exportFor: async (userId, manager) => {
        const user = await this.users.findById(userId, manager);
        return user ? toUserResponse(user) : null;
      },
      // The row stays (other records point at its id, which is the pseudonym the audit trail
      // keeps); what identifies the person is replaced and the account can never sign in.
      eraseFor: async (userId, manager) => {
        await this.users.update(
          userId,
          {
            email: newErasedEmail(userId),
            displayName: 'Erased user',
            passwordHash: await hashPassword(randomBytes(32).toString('base64url')),
            status: UserStatus.Deactivated,
            mfaEnabled: false,
          },
          manager,
        );
        return 1;
      },
    });
    this.registry.register({
      section: 'patientProfile',
      tables: ['patient_profiles', 'patient_data_keys'],
      exportFor: (userId, manager) => this.profiles.exportFor(userId, manager),
      // Crypto-shredding: without the data key the stored ciphertext is noise.
      eraseFor: async (userId: string, manager: EntityManager) => {
        const { keys, profiles } = await this.profiles.shred(userId, manager);
        return keys + profiles;
      },
    });
  }
}
