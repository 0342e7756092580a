import { RoomsPersonalData } from './rooms-personal-data';
import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { UsersModule } from '../users/users.module';
import { RoomEntity, RoomMemberEntity } from './room.entity';
import { RoomsController } from './rooms.controller';
import { RoomsRepository } from './rooms.repository';
import { RoomsService } from './rooms.service';

// Global: the features built on rooms (sessions, calls, care, ICE) inject RoomsService.
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([RoomEntity, RoomMemberEntity]), UsersModule],
  controllers: [RoomsController],
  providers: [RoomsPersonalData, RoomsRepository, RoomsService],
  exports: [RoomsService],
})
export class RoomsModule {}
