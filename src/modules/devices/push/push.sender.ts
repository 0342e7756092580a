import { readFileSync } from 'node:fs';
import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../../../config/app-config';
import { DeliveryError, ChannelSender, type OutboundMessage } from '../../outbox/channel-sender';
import { OutboxChannel } from '../../outbox/outbox-message.entity';
import { DevicesRepository } from '../devices.repository';
import { DevicesService } from '../devices.service';
import type { PushPlatform } from '../push-device.entity';
import type { PushDeviceEntity } from '../push-device.entity';
import { ApnsClient } from './apns.client';
import { FcmClient, type ServiceAccount } from './fcm.client';
import { Http2Client } from './http2-client';
import { DeadTokenError, pushBody, ttlSeconds, type PushBody } from './push-message';
import { WebPushClient } from './web-push.client';
import { isUuid } from '../../../common/validation/ids';

interface PlatformClient {
  send(device: PushDeviceEntity, body: PushBody, ttl: number): Promise<void>;
}

// The push channel of the outbox (docs/notifications.md#push). Each message is for one device
// (`recipient` is its id), read when the message is sent: a device removed meanwhile is not
// pushed to. A token the provider reports dead removes the device. Registered when at least
// one platform is configured; until then push messages wait in the outbox and expire.
@Injectable()
export class PushSender extends ChannelSender implements OnModuleInit, OnModuleDestroy {
  readonly channel = OutboxChannel.Push;
  private readonly logger = new Logger('PushSender');
  private readonly clients = new Map<PushPlatform, PlatformClient>();
  private http: Http2Client | undefined;
  private web: WebPushClient | undefined;

  constructor(
    private readonly config: AppConfig,
    private readonly devices: DevicesRepository,
    private readonly service: DevicesService,
  ) {
    super();
  }

  // Ready when at least one platform is configured.
  override isReady(): boolean {
    return this.clients.size > 0;
  }

  onModuleInit(): void {
    const { webPush, apns, fcm, caFile, timeoutMs } = this.config.push;
    const ca = caFile ? readFileSync(caFile, 'utf8') : undefined;
    this.http = new Http2Client(timeoutMs, ca);
    if (webPush) {
      this.web = new WebPushClient({ ...webPush, timeoutMs, ca });
      this.clients.set('web', this.web);
    }
    if (apns)
      this.clients.set(
        'apns',
        new ApnsClient({ ...apns, key: readFileSync(apns.keyFile, 'utf8') }, this.http),
      );
    if (fcm) {
      const account = JSON.parse(readFileSync(fcm.serviceAccountFile, 'utf8')) as ServiceAccount;
      const tokenUrl = fcm.tokenUrl ?? account.token_uri ?? 'https://oauth2.googleapis.com/token';
      this.clients.set('fcm', new FcmClient({ url: fcm.url, tokenUrl, account }, this.http));
    }
  }

  onModuleDestroy(): void {
    this.http?.close();
    this.web?.close();
  }

  async send(message: OutboundMessage): Promise<void> {
    const body = pushBody(message.kind, message.id, message.payload);
    const device = isUuid(message.recipient)
      ? await this.devices.findById(message.recipient)
      : null;
    if (!device) throw new DeliveryError('NO_DEVICE', true);
    const client = this.clients.get(device.platform);
    if (!client) throw new DeliveryError('PLATFORM_NOT_CONFIGURED', true);
    try {
      await client.send(device, body, ttlSeconds(message.payload));
    } catch (err) {
      if (err instanceof DeadTokenError) {
        const removed = await this.service.removeDead(device.id, device.token, err.code);
        if (removed)
          this.logger.log(
            { outboxId: message.id, deviceId: device.id, code: err.code },
            'push device removed: its provider reported the token dead',
          );
      }
      throw err;
    }
  }
}
