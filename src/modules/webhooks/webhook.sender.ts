import { Injectable, type OnModuleInit } from '@nestjs/common';
import { Webhook } from 'standardwebhooks';
import { AppConfig } from '../../config/app-config';
import { AuditAction, AuditOutcome } from '../audit/audit-action';
import { AuditService } from '../audit/audit.service';
import {
  ChannelSenders,
  DeliveryError,
  type ChannelSender,
  type OutboundMessage,
} from '../outbox/channel-sender';
import { OutboxChannel } from '../outbox/outbox-message.entity';
import { WebhookDeliveryStatus } from './webhook-delivery.entity';
import { postWebhook } from './webhook-http';
import { WebhooksRepository } from './webhooks.repository';
import { WebhooksService } from './webhooks.service';

// The webhook channel: each attempt POSTs the delivery's body in the Standard Webhooks format
// (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256>`), records
// the outcome in the delivery log and audits it. 2xx is delivered; 410 Gone gives up at once;
// anything else (other statuses, redirects, timeouts, refused connections) is retried by the
// outbox.
@Injectable()
export class WebhookSender implements ChannelSender, OnModuleInit {
  readonly channel = OutboxChannel.Webhook;

  constructor(
    private readonly senders: ChannelSenders,
    private readonly repository: WebhooksRepository,
    private readonly webhooks: WebhooksService,
    private readonly audit: AuditService,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.senders.register(this);
  }

  async send(message: OutboundMessage): Promise<void> {
    const deliveryId = message.payload.deliveryId;
    const delivery =
      typeof deliveryId === 'string' ? await this.repository.findDelivery(deliveryId) : null;
    if (!delivery) throw new DeliveryError('DELIVERY_GONE', true);
    const endpoint = await this.repository.findLiveEndpoint(delivery.endpointId);
    if (!endpoint) throw new DeliveryError('ENDPOINT_DELETED', true);

    const body = JSON.stringify(delivery.body);
    const now = new Date();
    const headers = {
      'webhook-id': delivery.webhookId,
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': new Webhook(this.webhooks.secretOf(endpoint)).sign(
        delivery.webhookId,
        now,
        body,
      ),
    };
    let status: number | null = null;
    let failure: DeliveryError | undefined;
    try {
      status = await postWebhook(endpoint.url, headers, body, {
        timeoutMs: this.config.webhooks.timeoutMs,
        policy: this.webhooks.policy,
      });
      if (status < 200 || status >= 300)
        failure = new DeliveryError(`HTTP_${status}`, status === 410);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      const name = typeof code === 'string' ? code.slice(0, 40) : 'CONNECTION_FAILED';
      failure = new DeliveryError(name, name === 'FORBIDDEN_TARGET', { cause: err });
    }

    const final =
      failure !== undefined &&
      (failure.permanent || message.attempt >= this.config.notify.maxAttempts);
    await this.repository.recordAttempt(delivery.id, {
      status: !failure
        ? WebhookDeliveryStatus.Delivered
        : final
          ? WebhookDeliveryStatus.Failed
          : WebhookDeliveryStatus.Pending,
      responseStatus: status,
      error: failure?.code ?? null,
    });
    await this.audit.record({
      action: AuditAction.WebhookDelivery,
      outcome: failure ? AuditOutcome.Failure : AuditOutcome.Success,
      actor: { userId: null, role: null, ip: null, userAgent: null },
      resource: { type: 'webhook_endpoint', id: endpoint.id },
      details: {
        deliveryId: delivery.id,
        webhookId: delivery.webhookId,
        eventType: delivery.eventType,
        attempt: message.attempt,
        status,
        ...(failure ? { error: failure.code } : {}),
      },
    });
    if (failure) throw failure;
  }
}
