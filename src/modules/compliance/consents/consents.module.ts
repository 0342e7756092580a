import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CallAcceptPolicy } from '../../calls/call-accept.policy';
import { CallsModule } from '../../calls/calls.module';
import { RoomJoinPolicy } from '../../sessions/ports/room-join.policy';
import { SessionsModule } from '../../sessions/sessions.module';
import { ConsentGate } from './consent-gate';
import { ConsentGrantEntity, ConsentTextEntity } from './consent.entity';
import { ConsentsController } from './consents.controller';
import { ConsentsPersonalData } from './consents.personal-data';
import { ConsentsRepository } from './consents.repository';
import { ConsentsService } from './consents.service';

// KVKK consent (docs/compliance.md). Global only to hand the consent gate to the sessions and calls
// modules through the ports they declare (RoomJoinPolicy, CallAcceptPolicy): they never
// import this module, which depends on them to end a withdrawn patient's participation.
@Global()
@Module({
  imports: [
    TypeOrmModule.forFeature([ConsentTextEntity, ConsentGrantEntity]),
    SessionsModule,
    CallsModule,
  ],
  controllers: [ConsentsController],
  providers: [
    ConsentsRepository,
    ConsentsService,
    ConsentGate,
    ConsentsPersonalData,
    { provide: RoomJoinPolicy, useExisting: ConsentGate },
    { provide: CallAcceptPolicy, useExisting: ConsentGate },
  ],
  exports: [RoomJoinPolicy, CallAcceptPolicy],
})
export class ConsentsModule {}
