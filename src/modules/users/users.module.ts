import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AdminBootstrapService } from './admin-bootstrap.service';
import { PatientProfileController } from './patient-profile/patient-profile.controller';
import {
  PatientDataKeyEntity,
  PatientProfileEntity,
} from './patient-profile/patient-profile.entity';
import { PatientProfileRepository } from './patient-profile/patient-profile.repository';
import { PatientProfileService } from './patient-profile/patient-profile.service';
import { PatientProfilePersonalData, UserAccountPersonalData } from './users-personal-data';
import { UserAccessPolicy } from './user-access.policy';
import { UserEntity } from './user.entity';
import { UsersController } from './users.controller';
import { UsersRepository } from './users.repository';
import { UsersService } from './users.service';

// UserSessionsPort comes from the (global) auth module, CareRelationshipsPort from the care
// module and EmergencyAccessPort from the break-glass module (both global, both required).
@Module({
  imports: [TypeOrmModule.forFeature([UserEntity, PatientProfileEntity, PatientDataKeyEntity])],
  controllers: [PatientProfileController, UsersController],
  providers: [
    UsersRepository,
    UsersService,
    UserAccessPolicy,
    AdminBootstrapService,
    PatientProfileRepository,
    PatientProfileService,
    UserAccountPersonalData,
    PatientProfilePersonalData,
  ],
  exports: [
    UsersRepository,
    UsersService,
    UserAccessPolicy,
    AdminBootstrapService,
    PatientProfileService,
    PatientProfileRepository,
  ],
})
export class UsersModule {}
