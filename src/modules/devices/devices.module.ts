import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CallPushes } from './call-pushes';
import { DevicesPersonalData } from './devices-personal-data';
import { DevicesController } from './devices.controller';
import { DevicesRepository } from './devices.repository';
import { DevicesService } from './devices.service';
import { PushDeviceEntity, PushRingEntity } from './push-device.entity';
import { PushSender } from './push/push.sender';

// Push devices and the outbox's push channel (docs/notifications.md#push). The calls module
// uses CallPushes to ring devices of users with no connected socket.
@Module({
  imports: [TypeOrmModule.forFeature([PushDeviceEntity, PushRingEntity])],
  controllers: [DevicesController],
  providers: [DevicesRepository, DevicesService, DevicesPersonalData, CallPushes, PushSender],
  exports: [CallPushes],
})
export class DevicesModule {}
