import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AdminBootstrapService } from './admin-bootstrap.service';
import { UserAccessPolicy } from './user-access.policy';
import { UserEntity } from './user.entity';
import { UsersController } from './users.controller';
import { UsersRepository } from './users.repository';
import { UsersService } from './users.service';

// UserSessionsPort comes from the (global) auth module; SharedRoomsPort, when present, from
// the rooms module.
@Module({
  imports: [TypeOrmModule.forFeature([UserEntity])],
  controllers: [UsersController],
  providers: [UsersRepository, UsersService, UserAccessPolicy, AdminBootstrapService],
  exports: [UsersRepository, UsersService, UserAccessPolicy, AdminBootstrapService],
})
export class UsersModule {}
