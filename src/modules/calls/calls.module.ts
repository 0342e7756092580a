import { CallsPersonalData } from './calls-personal-data';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { RoomsModule } from '../rooms/rooms.module';
import { UsersModule } from '../users/users.module';
import { CallEvents } from './call-events';
import { DevicesModule } from '../devices/devices.module';
import { CallNotifier, PushCallNotifier } from './call-notifier';
import { CallEntity, CallParticipantEntity } from './call.entity';
import { CallsController } from './calls.controller';
import { CallsMetrics } from './calls.metrics';
import { CallsRepository } from './calls.repository';
import { CallsService } from './calls.service';
import { RingPolicy } from './ring.policy';

// Direct calls (docs/calls.md, docs/signaling.md). The signaling module imports this one for the socket side.
// CallAcceptPolicy (the consent check on answering) comes from the global consents module;
// CareRelationshipsPort (the ringing rule's care relationships) from the global care module.
@Module({
  imports: [
    TypeOrmModule.forFeature([CallEntity, CallParticipantEntity]),
    RoomsModule,
    UsersModule,
    DevicesModule,
  ],
  controllers: [CallsController],
  providers: [
    CallsPersonalData,
    CallsRepository,
    CallsService,
    RingPolicy,
    CallEvents,
    CallsMetrics,
    { provide: CallNotifier, useClass: PushCallNotifier },
  ],
  exports: [CallsService, CallEvents],
})
export class CallsModule {}
