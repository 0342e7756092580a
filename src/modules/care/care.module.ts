import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SessionsModule } from '../sessions/sessions.module';
import { CareRelationshipsPort } from '../users/ports/care-relationships.port';
import { UsersModule } from '../users/users.module';
import { CarePersonalData } from './care-personal-data';
import { CareRoomParticipant } from './care-room-participant';
import { CareRelationshipEntity } from './care-relationship.entity';
import { CareController } from './care.controller';
import { CareRepository } from './care.repository';
import { CareService } from './care.service';

// Global so that the users module's access policy gets CareRelationshipsPort without
// importing this module (which depends on users, rooms and sessions). Calls use CareService
// directly for the ringing rule.
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([CareRelationshipEntity]), UsersModule, SessionsModule],
  controllers: [CareController],
  providers: [
    CareRepository,
    CareService,
    CarePersonalData,
    CareRoomParticipant,
    { provide: CareRelationshipsPort, useExisting: CareService },
  ],
  exports: [CareService, CareRelationshipsPort],
})
export class CareModule {}
