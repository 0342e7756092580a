import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, IsNull, Repository } from 'typeorm';
import type { CursorPosition } from '../../common/http/cursor';
import { WebhookDeliveryEntity, WebhookDeliveryStatus } from './webhook-delivery.entity';
import { WebhookEndpointEntity } from './webhook-endpoint.entity';

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

  async recordAttempt(
    id: string,
    outcome: { status: WebhookDeliveryStatus; responseStatus: number | null; error: string | null },
  ): Promise<void> {
    await this.deliveries
      .createQueryBuilder()
      .update()
      .set({
        attempts: () => 'attempts + 1',
        status: outcome.status,
        responseStatus: outcome.responseStatus,
        lastError: outcome.error,
        lastAttemptAt: () => 'now()',
        ...(outcome.status === WebhookDeliveryStatus.Delivered
          ? { deliveredAt: () => 'now()' }
          : {}),
      })
      .where('id = :id', { id })
      .execute();
  }

  async markPending(id: string, manager: EntityManager): Promise<void> {
    await manager
      .getRepository(WebhookDeliveryEntity)
      .update({ id }, { status: WebhookDeliveryStatus.Pending });
  }
}
