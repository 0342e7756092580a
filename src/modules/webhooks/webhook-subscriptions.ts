import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { PubSub, type Unsubscribe } from '../../infra/redis/key-value.store';
import { matches } from './webhook-events';
import { WebhooksRepository } from './webhooks.repository';

export const ENDPOINTS_CHANNEL = 'webhooks:endpoints';

// What the live endpoints subscribed to, kept in process, so that publishing an event nobody
// subscribed to costs no query (most events, most of the time: a deployment without
// integrators publishes every call and session event all the same).
//
// Freshness: registering or deleting an endpoint drops what this instance knew once its
// transaction committed (and any load that overlapped it) and tells every other instance through PubSub (Redis in server mode),
// which drops it too. If that message is lost (Redis away), what an instance knows is never
// older than TTL_MS. Only the question "is anyone subscribed?" is answered from here: which
// endpoints get a delivery is read in the publisher's transaction, as before.
@Injectable()
export class WebhookSubscriptions implements OnApplicationBootstrap, OnModuleDestroy {
  static TTL_MS = 10_000;

  private readonly logger = new Logger('WebhookSubscriptions');
  private known: { patterns: string[][]; until: number } | undefined;
  // Raised by every change: a load that began before it must not be kept.
  private epoch = 0;
  private unsubscribe: Unsubscribe | undefined;

  constructor(
    private readonly repository: WebhooksRepository,
    private readonly pubsub: PubSub,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.unsubscribe = await this.pubsub.subscribe(ENDPOINTS_CHANNEL, () => this.forget());
  }

  async onModuleDestroy(): Promise<void> {
    await this.unsubscribe?.().catch(() => undefined);
  }

  // Whether a live endpoint is subscribed to `type`. On a miss the patterns are read with the
  // caller's manager (no second connection while the caller holds one).
  async anySubscribed(type: string, manager: EntityManager): Promise<boolean> {
    let known = this.known;
    if (!known || known.until <= Date.now()) {
      const epoch = this.epoch;
      const patterns = await this.repository.liveEventPatterns(manager);
      known = { patterns, until: Date.now() + WebhookSubscriptions.TTL_MS };
      if (epoch === this.epoch) this.known = known;
    }
    return known.patterns.some((events) => matches(events, type));
  }

  // Loads still running are not kept either.
  private forget(): void {
    this.epoch++;
    this.known = undefined;
  }

  // After a change of the endpoints is committed: drops what this instance knew and tells the
  // others.
  async changed(): Promise<void> {
    this.forget();
    try {
      await this.pubsub.publish(ENDPOINTS_CHANNEL, '1');
    } catch (err) {
      this.logger.warn(
        { err: err instanceof Error ? err.message : String(err) },
        'could not announce a webhook endpoint change; other instances see it within their cache lifetime',
      );
    }
  }
}
