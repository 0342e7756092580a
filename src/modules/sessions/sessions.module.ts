import { SessionsPersonalData, WaitingRoomPersonalData } from './sessions-personal-data';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { RoomsModule } from '../rooms/rooms.module';
import { UsersModule } from '../users/users.module';
import { ActiveSessionsGauge } from './active-sessions.gauge';
import { InstanceIdentity } from './instance-identity';
import { InstanceLiveness } from './instance-liveness.service';
import { InstanceReleaseSweeper } from './instance-release.sweeper';
import { PresenceChangeFeed } from './presence-change-feed';
import { PresenceTransitions } from './presence-transitions';
import { ReconnectGraceSweeper } from './reconnect-grace.sweeper';
import { RoomPresenceService } from './room-presence.service';
import { RoomSocketsCache } from './room-sockets.cache';
import { SessionEvents } from './session-events';
import { SessionEntity, SessionParticipantEntity, WaitingEntryEntity } from './session.entity';
import { SessionsRoomParticipant } from './sessions-room-participant';
import { SessionsController } from './sessions.controller';
import { SessionsRepository } from './sessions.repository';
import { SessionsService } from './sessions.service';

@Module({
  imports: [
    TypeOrmModule.forFeature([SessionEntity, SessionParticipantEntity, WaitingEntryEntity]),
    RoomsModule,
    UsersModule,
  ],
  controllers: [SessionsController],
  providers: [
    SessionsPersonalData,
    WaitingRoomPersonalData,
    SessionsRoomParticipant,
    SessionsRepository,
    SessionsService,
    RoomPresenceService,
    PresenceTransitions,
    SessionEvents,
    InstanceIdentity,
    RoomSocketsCache,
    PresenceChangeFeed,
    InstanceLiveness,
    InstanceReleaseSweeper,
    ReconnectGraceSweeper,
    ActiveSessionsGauge,
  ],
  exports: [
    RoomPresenceService,
    InstanceLiveness,
    SessionEvents,
    SessionsRepository,
    SessionsService,
  ],
})
export class SessionsModule {}
