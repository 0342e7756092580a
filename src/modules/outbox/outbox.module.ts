import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ChannelSenders } from './channel-sender';
import { OutboxMessageEntity } from './outbox-message.entity';
import { OutboxMetrics } from './outbox-metrics';
import { OutboxPersonalData } from './outbox-personal-data';
import { OutboxRelay } from './outbox-relay';
import { OutboxController } from './outbox.controller';
import { OutboxRepository } from './outbox.repository';
import { OutboxService } from './outbox.service';
import { OutboxWakeups } from './outbox-wakeups';

// Global: any module that causes a message enqueues it through OutboxService, and channel
// modules (mail, SMS, push, webhooks) implement the ChannelSender port, which ChannelSenders
// collects.
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([OutboxMessageEntity])],
  controllers: [OutboxController],
  providers: [
    OutboxRepository,
    OutboxService,
    ChannelSenders,
    OutboxMetrics,
    OutboxRelay,
    OutboxPersonalData,
    OutboxWakeups,
  ],
  exports: [OutboxService, ChannelSenders],
})
export class OutboxModule {}
