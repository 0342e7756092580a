import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { WebhookDeliveryEntity } from './webhook-delivery.entity';
import { WebhookEndpointEntity } from './webhook-endpoint.entity';
import { WebhookSender } from './webhook.sender';
import { WebhookSubscriptions } from './webhook-subscriptions';
import { WebhooksController } from './webhooks.controller';
import { WebhooksRepository } from './webhooks.repository';
import { WebhooksService } from './webhooks.service';
import { WebhooksPersonalData } from './webhooks-personal-data';

// Global: the modules where events happen publish them through WebhooksService.
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([WebhookEndpointEntity, WebhookDeliveryEntity])],
  controllers: [WebhooksController],
  providers: [
    WebhooksRepository,
    WebhooksService,
    WebhookSender,
    WebhookSubscriptions,
    WebhooksPersonalData,
  ],
  exports: [WebhooksService],
})
export class WebhooksModule {}
