import { Module } from '@nestjs/common';
import { IceAccessPolicy } from './ice-access.policy';
import { IceController } from './ice.controller';
import { IceService } from './ice.service';

// RoomsService (who is an active member of an open room) comes from the global rooms module.
@Module({
  controllers: [IceController],
  providers: [IceService, IceAccessPolicy],
  exports: [IceService],
})
export class IceModule {}
