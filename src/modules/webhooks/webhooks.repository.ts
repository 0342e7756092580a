import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, IsNull, Repository } from 'typeorm';
import type { CursorPosition } from '../../common/http/cursor';
import { WebhookDeliveryEntity, WebhookDeliveryStatus } from './webhook-delivery.entity';
import { WebhookEndpointEntity } from './webhook-endpoint.entity';

export interface DeliveryToSend {
  id: string;
  webhookId: string;
  eventType: string;
  body: Record<string, unknown>;
  endpointId: string;
  url: string;
  secretSealed: string;
  live: boolean;
}

export interface AttemptRecord {
  id: string;
  status: WebhookDeliveryStatus;
  responseStatus: number | null;
  error: string | null;
}

// The only code that touches webhook_endpoints and webhook_deliveries.
@Injectable()
export class WebhooksRepository {
  constructor(
    @InjectRepository(WebhookEndpointEntity)
    private readonly endpoints: Repository<WebhookEndpointEntity>,
    @InjectRepository(WebhookDeliveryEntity)
    private readonly deliveries: Repository<WebhookDeliveryEntity>,
  ) {}

  createEndpoint(
    endpoint: Pick<
      WebhookEndpointEntity,
      'url' | 'description' | 'events' | 'secretSealed' | 'createdBy'
    >,
    manager: EntityManager,
  ): Promise<WebhookEndpointEntity> {
    const repo = manager.getRepository(WebhookEndpointEntity);
    return repo.save(repo.create({ ...endpoint, deletedAt: null }));
  }

  findLiveEndpoint(id: string, manager?: EntityManager): Promise<WebhookEndpointEntity | null> {
    const repo = manager ? manager.getRepository(WebhookEndpointEntity) : this.endpoints;
    return repo.findOne({ where: { id, deletedAt: IsNull() } });
  }

  findEndpoint(id: string): Promise<WebhookEndpointEntity | null> {
    return this.endpoints.findOne({ where: { id } });
  }

  liveEndpoints(manager: EntityManager): Promise<WebhookEndpointEntity[]> {
    return manager
      .getRepository(WebhookEndpointEntity)
      .find({ where: { deletedAt: IsNull() }, order: { createdAt: 'ASC' } });
  }

  // The `events` of every live endpoint.
  async liveEventPatterns(manager: EntityManager): Promise<string[][]> {
    const rows = await manager.query<{ events: string[] }[]>(
      `SELECT events FROM webhook_endpoints WHERE deleted_at IS NULL`,
    );
    return rows.map((r) => r.events);
  }

  async pageEndpoints(
    after: CursorPosition | undefined,
    limit: number,
  ): Promise<WebhookEndpointEntity[]> {
    const qb = this.endpoints
      .createQueryBuilder('e')
      .where('e.deletedAt IS NULL')
      .orderBy('e.createdAt', 'DESC')
      .addOrderBy('e.id', 'DESC')
      .limit(limit + 1);
    if (after) qb.andWhere('(e.createdAt, e.id) < (:at, :id)', { at: after.at, id: after.id });
    return qb.getMany();
  }

  async deleteEndpoint(id: string, manager: EntityManager): Promise<boolean> {
    const result = await manager
      .getRepository(WebhookEndpointEntity)
      .update({ id, deletedAt: IsNull() }, { deletedAt: () => 'now()' });
    return (result.affected ?? 0) > 0;
  }

  createDelivery(
    delivery: Pick<WebhookDeliveryEntity, 'endpointId' | 'webhookId' | 'eventType' | 'body'>,
    manager: EntityManager,
  ): Promise<WebhookDeliveryEntity> {
    const repo = manager.getRepository(WebhookDeliveryEntity);
    return repo.save(repo.create(delivery));
  }

  findDelivery(id: string, manager?: EntityManager): Promise<WebhookDeliveryEntity | null> {
    const repo = manager ? manager.getRepository(WebhookDeliveryEntity) : this.deliveries;
    return repo.findOne({ where: { id } });
  }

  async pageDeliveries(
    endpointId: string,
    after: CursorPosition | undefined,
    limit: number,
  ): Promise<WebhookDeliveryEntity[]> {
    const qb = this.deliveries
      .createQueryBuilder('d')
      .where('d.endpointId = :endpointId', { endpointId })
      .orderBy('d.createdAt', 'DESC')
      .addOrderBy('d.id', 'DESC')
      .limit(limit + 1);
    if (after) qb.andWhere('(d.createdAt, d.id) < (:at, :id)', { at: after.at, id: after.id });
    return qb.getMany();
  }

  // What the sender needs for many deliveries at once (one query for a relay's batch): each
  // delivery with its endpoint's URL and sealed secret, and whether the endpoint still lives.
  async deliveriesToSend(ids: readonly string[]): Promise<DeliveryToSend[]> {
    return this.deliveries.query<DeliveryToSend[]>(
      `SELECT d.id, d.webhook_id AS "webhookId", d.event_type AS "eventType", d.body,
              e.id AS "endpointId", e.url, e.secret_sealed AS "secretSealed",
              e.deleted_at IS NULL AS live
         FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
        WHERE d.id = ANY($1::uuid[])`,
      [ids],
    );
  }

  // The outcome of one attempt of each delivery, in one statement (the caller's transaction
  // writes their audit records with it). A delivery appears at most once per call.
  async recordAttempts(attempts: readonly AttemptRecord[], manager: EntityManager): Promise<void> {
    if (attempts.length === 0) return;
    await manager.query(
      `UPDATE webhook_deliveries d
          SET attempts = d.attempts + 1, status = v.status, response_status = v.response_status,
              last_error = v.error, last_attempt_at = now(),
              delivered_at = CASE WHEN v.status = 'delivered' THEN now() ELSE d.delivered_at END
         FROM unnest($1::uuid[], $2::text[], $3::int[], $4::text[])
              AS v(id, status, response_status, error)
        WHERE d.id = v.id`,
      [
        attempts.map((a) => a.id),
        attempts.map((a) => a.status),
        attempts.map((a) => a.responseStatus),
        attempts.map((a) => a.error),
      ],
    );
  }

  async markPending(id: string, manager: EntityManager): Promise<void> {
    await manager
      .getRepository(WebhookDeliveryEntity)
      .update({ id }, { status: WebhookDeliveryStatus.Pending });
  }
}
