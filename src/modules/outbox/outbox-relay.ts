import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { backoffMs } from './backoff';
import { ChannelSenders, DeliveryError } from './channel-sender';
import { OutboxMetrics } from './outbox-metrics';
import { OutboxRepository, type ClaimedMessage } from './outbox.repository';

// How often the backlog gauges are refreshed from the database (and overdue messages of
// channels without a sender expired).
const STATS_INTERVAL_MS = 10_000;

// Delivers the outbox at least once (docs/notifications.md). Every instance may run it:
// claiming takes due rows with FOR UPDATE SKIP LOCKED and leases them (their due time moves
// NOTIFY_LEASE_SECONDS ahead), so two relays never hold one message at the same time, and a
// relay that dies mid-delivery leaves its messages due again once the lease runs out. The
// message id is the idempotency key: a receiver that got a message whose acknowledgement was
// lost drops the repeat.
//
// Logs name the message id, channel, kind, attempt and a failure code, never the recipient
// or the payload (which may hold a one-time token).
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('OutboxRelay');
  private timer: NodeJS.Timeout | undefined;
  private statsTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private running: Promise<void> | undefined;

  constructor(
    private readonly config: AppConfig,
    private readonly repository: OutboxRepository,
    private readonly senders: ChannelSenders,
    private readonly metrics: OutboxMetrics,
  ) {}

  onApplicationBootstrap(): void {
    this.statsTimer = setInterval(() => void this.refreshStats(), STATS_INTERVAL_MS);
    this.statsTimer.unref();
    void this.refreshStats();
    if (!this.config.notify.relayEnabled) return;
    this.schedule(0);
  }

  // In-flight deliveries finish (each bounded by its sender's timeout) before the app closes.
  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.statsTimer) clearInterval(this.statsTimer);
    await this.running;
  }

  // Claims and delivers due messages until none is left; never throws. Returns how many
  // messages it handled.
  async drain(): Promise<number> {
    let handled = 0;
    while (!this.stopped) {
      const batch = await this.claimSafely();
      handled += batch.length;
      await Promise.all(batch.map((m) => this.deliver(m)));
      if (batch.length < this.config.notify.batchSize) break;
    }
    return handled;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.drain().then(() => {
        this.running = undefined;
        this.schedule(this.config.notify.pollIntervalMs);
      });
    }, delayMs);
    this.timer.unref();
  }

  private async claimSafely(): Promise<ClaimedMessage[]> {
    try {
      return await this.repository.claim(
        this.senders.channels(),
        this.config.notify.batchSize,
        this.config.notify.leaseSeconds,
      );
    } catch (err) {
      // The database is away: the messages are safe in it; try again at the next poll.
      this.logger.warn({ err: errorText(err) }, 'outbox claim failed; retrying at the next poll');
      return [];
    }
  }

  private async deliver(message: ClaimedMessage): Promise<void> {
    const { id, channel, kind, attempts: attempt } = message;
    const sender = this.senders.get(channel);
    const { maxAttempts } = this.config.notify;
    try {
      if (message.expiresAt && message.expiresAt.getTime() <= Date.now()) {
        await this.repository.markExpired(id, attempt);
        this.metrics.deliveries.labels(channel, 'expired').inc();
        return;
      }
      // Only possible when earlier attempts died with their relay (crash, kill) past the limit.
      if (!sender || attempt > maxAttempts) {
        await this.repository.markDead(id, attempt, sender ? 'ATTEMPTS_EXHAUSTED' : 'NO_SENDER');
        this.metrics.deliveries.labels(channel, 'dead').inc();
        this.logger.warn({ outboxId: id, channel, kind, attempt }, 'outbox message dead-lettered');
        return;
      }
    } catch (err) {
      this.logger.warn({ outboxId: id, err: errorText(err) }, 'outbox update failed');
      return;
    }

    let failure: DeliveryError | undefined;
    try {
      await sender.send({
        id,
        idempotencyKey: id,
        channel,
        kind,
        recipient: message.recipient,
        payload: message.payload,
        attempt,
        createdAt: message.createdAt,
      });
    } catch (err) {
      failure = err instanceof DeliveryError ? err : new DeliveryError(failureCode(err));
    }

    // If recording the outcome fails (the database is away), the lease runs out and the
    // message is delivered again: at least once, never lost.
    try {
      if (!failure) {
        await this.repository.markSent(id, attempt);
        this.metrics.deliveries.labels(channel, 'sent').inc();
        this.logger.log({ outboxId: id, channel, kind, attempt }, 'outbox message delivered');
        return;
      }
      if (failure.permanent || attempt >= maxAttempts) {
        await this.repository.markDead(id, attempt, failure.code);
        this.metrics.deliveries.labels(channel, 'dead').inc();
        this.logger.warn(
          { outboxId: id, channel, kind, attempt, code: failure.code },
          'outbox message dead-lettered',
        );
        return;
      }
      const wait = backoffMs(
        attempt,
        this.config.notify.retryBaseMs,
        this.config.notify.retryMaxMs,
      );
      await this.repository.markFailed(id, attempt, failure.code, wait);
      this.metrics.deliveries.labels(channel, 'retry').inc();
      this.logger.warn(
        { outboxId: id, channel, kind, attempt, code: failure.code, retryInMs: wait },
        'outbox delivery failed; retrying later',
      );
    } catch (err) {
      this.logger.warn(
        { outboxId: id, err: errorText(err) },
        'outbox outcome not recorded; the message is delivered again after its lease',
      );
    }
  }

  async refreshStats(): Promise<void> {
    try {
      for (const { channel, n } of await this.repository.expireOverdue())
        this.metrics.deliveries.labels(channel, 'expired').inc(n);
      this.metrics.observe(await this.repository.stats());
    } catch (err) {
      this.logger.warn({ err: errorText(err) }, 'outbox statistics not refreshed');
    }
  }
}

// A failure code for an error a sender did not classify: its code or class name, never its
// message (which may quote an address).
function failureCode(err: unknown): string {
  if (err && typeof err === 'object') {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Za-z0-9_.-]{1,40}$/.test(code)) return code;
    if (err instanceof Error) return err.name.slice(0, 40);
  }
  return 'UNKNOWN';
}

function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
