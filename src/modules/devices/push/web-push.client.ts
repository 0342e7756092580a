import { Agent } from 'node:https';
import { sendNotification, WebPushError } from 'web-push';
import { DeliveryError } from '../../outbox/channel-sender';
import type { PushDeviceEntity } from '../push-device.entity';
import { DeadTokenError, PushKind, retryable, type PushBody } from './push-message';

export interface WebPushSettings {
  publicKey: string;
  privateKey: string;
  subject: string;
  timeoutMs: number;
  ca?: string;
}

// Web Push (RFC 8030) with VAPID (RFC 8292), the payload encrypted for the browser with
// aes128gcm (RFC 8291), all by the `web-push` package. The push service holds the message for
// `ttl` seconds; `topic` (the call id) lets `call.ended` replace a `call.incoming` the browser
// has not fetched yet.
export class WebPushClient {
  private readonly agent: Agent | undefined;

  constructor(private readonly settings: WebPushSettings) {
    this.agent = settings.ca ? new Agent({ ca: settings.ca, keepAlive: true }) : undefined;
  }

  async send(device: PushDeviceEntity, body: PushBody, ttl: number): Promise<void> {
    try {
      await sendNotification(
        { endpoint: device.token, keys: { p256dh: device.p256dh ?? '', auth: device.auth ?? '' } },
        JSON.stringify(body),
        {
          vapidDetails: {
            subject: this.settings.subject,
            publicKey: this.settings.publicKey,
            privateKey: this.settings.privateKey,
          },
          TTL: ttl,
          urgency: body.kind === PushKind.CallIncoming ? 'high' : 'normal',
          topic: body.callId.replace(/-/g, ''),
          contentEncoding: 'aes128gcm',
          timeout: this.settings.timeoutMs,
          ...(this.agent ? { agent: this.agent } : {}),
        },
      );
    } catch (err) {
      if (err instanceof WebPushError) {
        // 404 and 410: the subscription expired or was withdrawn (RFC 8030 §7.3).
        if (err.statusCode === 404 || err.statusCode === 410)
          throw new DeadTokenError(`HTTP_${err.statusCode}`);
        throw new DeliveryError(`HTTP_${err.statusCode}`, !retryable(err.statusCode), {
          cause: err,
        });
      }
      throw new DeliveryError('CONNECTION_FAILED', false, { cause: err });
    }
  }

  close(): void {
    this.agent?.destroy();
  }
}
