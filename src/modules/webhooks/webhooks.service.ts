import { randomBytes, randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { auditActor, type AuthUser } from '../../common/auth/auth-user';
import { decodeCursor, DEFAULT_PAGE_SIZE, encodeCursor } from '../../common/http/cursor';
import type { RequestMeta } from '../../common/http/request-meta';
import type { PageQuery } from '../../common/pagination/page-query.dto';
import { AppConfig } from '../../config/app-config';
import { AuditAction, AuditOutcome } from '../audit/audit-action';
import { AuditService } from '../audit/audit.service';
import { SecretBox } from '../auth/mfa/secret-box';
import { OutboxChannel } from '../outbox/outbox-message.entity';
import { OutboxService } from '../outbox/outbox.service';
import type {
  CreateWebhookRequest,
  WebhookCreatedResponse,
  WebhookDeliveryEnvelope,
  WebhookDeliveryListResponse,
  WebhookListResponse,
} from './dto/webhook.dto';
import type { WebhookEndpointEntity } from './webhook-endpoint.entity';
import { matches, type WebhookEvent } from './webhook-events';
import { resolvedRefusal, type TargetPolicy } from './webhook-target';
import { WebhooksErrors } from './webhooks.errors';
import { toDeliveryResponse, toWebhookResponse } from './webhooks.mapper';
import { WebhooksRepository } from './webhooks.repository';
import { WebhookSubscriptions } from './webhook-subscriptions';

// Webhooks for integrators (docs/notifications.md): admin-managed endpoints, and events
// published by the modules where they happen, each as one delivery per matching endpoint,
// sent by the outbox relay.
@Injectable()
export class WebhooksService {
  private readonly box: SecretBox;

  constructor(
    private readonly dataSource: DataSource,
    private readonly repository: WebhooksRepository,
    private readonly outbox: OutboxService,
    private readonly audit: AuditService,
    private readonly config: AppConfig,
    private readonly subscriptions: WebhookSubscriptions,
  ) {
    this.box = new SecretBox(config.encryption.dataEncryptionKey, 'hekim/webhook-secret');
  }

  get policy(): TargetPolicy {
    return {
      httpsOnly: this.config.webhooks.httpsOnly,
      allowPrivate: this.config.webhooks.allowPrivateTargets,
    };
  }

  secretOf(endpoint: Pick<WebhookEndpointEntity, 'secretSealed'>): string {
    return this.box.open(endpoint.secretSealed);
  }

  // Writes the event for every live endpoint subscribed to it, in the caller's transaction.
  // `data` carries ids and states, never health data. An event no endpoint subscribed to
  // costs no query (WebhookSubscriptions).
  async publish(
    manager: EntityManager,
    type: WebhookEvent,
    data: Record<string, unknown>,
  ): Promise<number> {
    if (!(await this.subscriptions.anySubscribed(type, manager))) return 0;
    const endpoints = (await this.repository.liveEndpoints(manager)).filter((e) =>
      matches(e.events, type),
    );
    const timestamp = new Date().toISOString();
    for (const endpoint of endpoints) {
      const delivery = await this.repository.createDelivery(
        {
          endpointId: endpoint.id,
          webhookId: `msg_${randomUUID().replace(/-/g, '')}`,
          eventType: type,
          body: { type, timestamp, data },
        },
        manager,
      );
      await this.outbox.enqueue(manager, {
        channel: OutboxChannel.Webhook,
        recipient: endpoint.id,
        kind: type,
        payload: { deliveryId: delivery.id },
      });
    }
    return endpoints.length;
  }

  // The hosts of the live endpoints: where webhook events go (the processing inventory,
  // docs/compliance.md).
  async liveEndpointHosts(): Promise<string[]> {
    const endpoints = await this.repository.liveEndpoints(this.dataSource.manager);
    return [...new Set(endpoints.map((e) => new URL(e.url).host))].sort();
  }

  async create(
    actor: AuthUser,
    body: CreateWebhookRequest,
    meta: RequestMeta,
  ): Promise<WebhookCreatedResponse> {
    const refusal = await resolvedRefusal(body.url, this.policy);
    if (refusal) throw WebhooksErrors.badTarget(refusal);
    const secret = `whsec_${randomBytes(24).toString('base64')}`;
    const created = await this.dataSource.transaction(async (manager) => {
      const endpoint = await this.repository.createEndpoint(
        {
          url: body.url,
          description: body.description ?? null,
          events: body.events,
          secretSealed: this.box.seal(secret),
          createdBy: actor.id,
        },
        manager,
      );
      await this.audit.record(
        {
          action: AuditAction.WebhookCreate,
          outcome: AuditOutcome.Success,
          actor: auditActor(actor, meta),
          resource: { type: 'webhook_endpoint', id: endpoint.id },
          requestId: meta.requestId,
          details: { host: new URL(body.url).host, events: body.events },
        },
        manager,
      );
      return { id: endpoint.id, secret, url: endpoint.url, events: endpoint.events };
    });
    await this.subscriptions.changed();
    return created;
  }

  async list(query: PageQuery): Promise<WebhookListResponse> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const rows = await this.repository.pageEndpoints(decodeCursor(query.cursor), limit);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map(toWebhookResponse),
      nextCursor:
        rows.length > limit && last ? encodeCursor({ at: last.createdAt, id: last.id }) : null,
    };
  }

  async remove(actor: AuthUser, id: string, meta: RequestMeta): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      if (!(await this.repository.deleteEndpoint(id, manager))) throw WebhooksErrors.notFound();
      await this.audit.record(
        {
          action: AuditAction.WebhookDelete,
          outcome: AuditOutcome.Success,
          actor: auditActor(actor, meta),
          resource: { type: 'webhook_endpoint', id },
          requestId: meta.requestId,
        },
        manager,
      );
    });
    await this.subscriptions.changed();
  }

  async deliveries(id: string, query: PageQuery): Promise<WebhookDeliveryListResponse> {
    if (!(await this.repository.findEndpoint(id))) throw WebhooksErrors.notFound();
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const rows = await this.repository.pageDeliveries(id, decodeCursor(query.cursor), limit);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map(toDeliveryResponse),
      nextCursor:
        rows.length > limit && last ? encodeCursor({ at: last.createdAt, id: last.id }) : null,
    };
  }

  // Sends the delivery again, with the same body and `webhook-id`.
  async replay(
    actor: AuthUser,
    id: string,
    deliveryId: string,
    meta: RequestMeta,
  ): Promise<WebhookDeliveryEnvelope> {
    return this.dataSource.transaction(async (manager) => {
      const endpoint = await this.repository.findLiveEndpoint(id, manager);
      if (!endpoint) throw WebhooksErrors.notFound();
      const delivery = await this.repository.findDelivery(deliveryId, manager);
      if (!delivery || delivery.endpointId !== id) throw WebhooksErrors.deliveryNotFound();
      await this.repository.markPending(delivery.id, manager);
      await this.outbox.enqueue(manager, {
        channel: OutboxChannel.Webhook,
        recipient: endpoint.id,
        kind: delivery.eventType,
        payload: { deliveryId: delivery.id },
      });
      await this.audit.record(
        {
          action: AuditAction.WebhookReplay,
          outcome: AuditOutcome.Success,
          actor: auditActor(actor, meta),
          resource: { type: 'webhook_endpoint', id },
          requestId: meta.requestId,
          details: { deliveryId: delivery.id, webhookId: delivery.webhookId },
        },
        manager,
      );
      const fresh = await this.repository.findDelivery(delivery.id, manager);
      return { delivery: toDeliveryResponse(fresh ?? delivery) };
    });
  }
}
