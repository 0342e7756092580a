import { RoomsPersonalData } from './rooms-personal-data';
import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SharedRoomsPort } from '../users/ports/shared-rooms.port';
import { UsersModule } from '../users/users.module';
import { RoomEntity, RoomMemberEntity } from './room.entity';
import { RoomsController } from './rooms.controller';
import { RoomsRepository } from './rooms.repository';
import { RoomsService } from './rooms.service';

// Global so that the users module gets SharedRoomsPort (doctors may read the patients they
// share a room with) without importing this module, which depends on users.
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([RoomEntity, RoomMemberEntity]), UsersModule],
  controllers: [RoomsController],
  providers: [
    RoomsPersonalData,
    RoomsRepository,
    RoomsService,
    { provide: SharedRoomsPort, useExisting: RoomsService },
  ],
  exports: [RoomsService, SharedRoomsPort],
})
export class RoomsModule {}
