import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { GroupCommitQueue } from '../../common/group-commit-queue';
import { AppConfig } from '../../config/app-config';
import { backoffMs } from './backoff';
import { ChannelSenders, DeliveryError, type OutboundMessage } from './channel-sender';
import { OutboxMetrics } from './outbox-metrics';
import { type OutboxChannel, OutboxStatus } from './outbox-message.entity';
import { OutboxRepository, type AttemptOutcome, type ClaimedMessage } from './outbox.repository';

// How often the backlog gauges are refreshed from the database (and overdue messages of
// channels without a sender expired).
const STATS_INTERVAL_MS = 10_000;

// Messages held at once (claimed and ready, being sent, or sent and being recorded), in
// windows of NOTIFY_BATCH_SIZE.
const HELD_WINDOWS = 4;

// How long an outcome waits for others to be written with it: nothing waits on it but the
// message's lease, and under load it makes a few large statements of many small ones.
const OUTCOME_LINGER_MS = 5;

// Outcomes written by one statement at most.
const MAX_OUTCOMES_PER_WRITE = 500;

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
  // A wake-up came while a drain was running.
  private woken = false;
  // Outcomes that arrive while one batch is being written are written together by the next.
  private readonly outcomes = new GroupCommitQueue<AttemptOutcome, boolean>({
    maxBatch: MAX_OUTCOMES_PER_WRITE,
    lingerMs: OUTCOME_LINGER_MS,
    write: (batch) => this.repository.recordOutcomes(batch),
  });

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
  //
  // A rolling window, not batch after batch: at most NOTIFY_BATCH_SIZE messages are being
  // sent at once, and a slot is filled as soon as it frees, so a slow delivery holds up only
  // its own slot. The slots are filled from messages claimed ahead: whenever fewer than a
  // window of them are ready, the relay claims up to a window more and hands them to their
  // sender's prepare() (ChannelSender.prepare) while the window is busy, so that neither the
  // claim nor a sender's reads stand between one delivery and the next, and each claim
  // brings a whole window rather than the few slots that just freed. One claim is in flight
  // at a time. What is written after a message left (its outcome, batched with the others of
  // the moment; a sender's own records, see SendReceipt) does not hold a slot; at most
  // HELD_WINDOWS windows of messages are held in all (ready, being sent, being recorded).
  // A claim that brings fewer than it asked for means nothing more is due: the relay sends
  // what it holds and stops until the next wake-up or poll.
  async drain(): Promise<number> {
    const window = this.config.notify.batchSize;
    const smallest = Math.max(1, Math.ceil(window / 4));
    const cap = window * HELD_WINDOWS;
    const held = new Set<Promise<void>>();
    const ready: ClaimedMessage[] = [];
    let sending = 0;
    let handled = 0;
    let claiming = false;
    let more = true;
    let wake: (() => void) | undefined;
    const poke = (): void => {
      const w = wake;
      wake = undefined;
      w?.();
    };
    const send = (message: ClaimedMessage): void => {
      sending++;
      let sent = false;
      const release = (): void => {
        if (sent) return;
        sent = true;
        sending--;
        poke();
      };
      const delivery: Promise<void> = this.deliver(message, release).finally(() => {
        release();
        held.delete(delivery);
        poke();
      });
      held.add(delivery);
    };
    const claim = (limit: number): void => {
      claiming = true;
      void this.claimPrepared(limit)
        .catch(() => [] as ClaimedMessage[])
        .then((batch) => {
          claiming = false;
          handled += batch.length;
          ready.push(...batch);
          if (batch.length < limit) more = false;
          poke();
        });
    };
    for (;;) {
      while (ready.length > 0 && sending < window) send(ready.shift()!);
      // Claimed while stopping: sent all the same rather than left to their lease.
      if (this.stopped) more = false;
      const room = Math.min(window, cap - held.size - ready.length);
      if (more && !claiming && ready.length < window && room >= smallest) claim(room);
      if (!more && !claiming && ready.length === 0) break;
      await new Promise<void>((resolve) => (wake = resolve));
    }
    await Promise.all(held);
    await this.outcomes.idle();
    return handled;
  }

  // Messages were written (OutboxWakeups): drain now, or again as soon as the running drain
  // is done (it may have claimed before they were committed).
  wake(): void {
    if (this.stopped || !this.config.notify.relayEnabled) return;
    if (this.running) {
      this.woken = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.schedule(0);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.woken = false;
      this.running = this.drain().then(() => {
        this.running = undefined;
        this.schedule(this.woken ? 0 : this.config.notify.pollIntervalMs);
      });
    }, delayMs);
    this.timer.unref();
  }

  // A claim, handed to the senders' prepare() before it is returned.
  private async claimPrepared(limit: number): Promise<ClaimedMessage[]> {
    const batch = await this.claimSafely(limit);
    const byChannel = new Map<OutboxChannel, OutboundMessage[]>();
    for (const m of batch) {
      const list = byChannel.get(m.channel) ?? [];
      list.push(outbound(m));
      byChannel.set(m.channel, list);
    }
    await Promise.all(
      [...byChannel].map(async ([channel, messages]) => {
        try {
          await this.senders.get(channel)?.prepare?.(messages);
        } catch {
          // send() reads what it needs by itself.
        }
      }),
    );
    return batch;
  }

  private async claimSafely(limit: number): Promise<ClaimedMessage[]> {
    try {
      return await this.repository.claim(
        this.senders.channels(),
        limit,
        this.config.notify.leaseSeconds,
      );
    } catch (err) {
      // The database is away: the messages are safe in it; try again at the next poll.
      this.logger.warn({ err: errorText(err) }, 'outbox claim failed; retrying at the next poll');
      return [];
    }
  }

  // `sent` is called once the message has left (or will not be sent): its slot is free.
  private async deliver(message: ClaimedMessage, sent: () => void): Promise<void> {
    const { id, channel, attempts: attempt } = message;
    const sender = this.senders.get(channel);
    const { maxAttempts } = this.config.notify;
    if (message.expiresAt && message.expiresAt.getTime() <= Date.now()) {
      sent();
      return this.record(message, { id, attempt, status: OutboxStatus.Expired });
    }
    // Only possible when earlier attempts died with their relay (crash, kill) past the limit.
    if (!sender || attempt > maxAttempts) {
      const error = sender ? 'ATTEMPTS_EXHAUSTED' : 'NO_SENDER';
      sent();
      return this.record(message, { id, attempt, status: OutboxStatus.Dead, error });
    }

    let failure: DeliveryError | undefined;
    try {
      const receipt = await sender.send(outbound(message));
      sent();
      if (receipt) await receipt.settled;
    } catch (err) {
      failure = err instanceof DeliveryError ? err : new DeliveryError(failureCode(err));
    }

    sent();
    if (!failure) return this.record(message, { id, attempt, status: OutboxStatus.Sent });
    if (failure.permanent || attempt >= maxAttempts) {
      return this.record(message, { id, attempt, status: OutboxStatus.Dead, error: failure.code });
    }
    const delayMs = backoffMs(
      attempt,
      this.config.notify.retryBaseMs,
      this.config.notify.retryMaxMs,
    );
    return this.record(message, {
      id,
      attempt,
      status: OutboxStatus.Pending,
      error: failure.code,
      delayMs,
    });
  }

  // Writes an attempt's outcome with the others of the moment (one statement for all of
  // them), then counts and logs it. If it cannot be written (the database is away), the lease
  // runs out and the message is delivered again: at least once, never lost.
  private async record(message: ClaimedMessage, outcome: AttemptOutcome): Promise<void> {
    const { id, channel, kind, attempts: attempt } = message;
    try {
      await this.outcomes.push(outcome);
    } catch (err) {
      this.logger.warn(
        { outboxId: id, err: errorText(err) },
        'outbox outcome not recorded; the message is delivered again after its lease',
      );
      return;
    }
    switch (outcome.status) {
      case OutboxStatus.Sent:
        this.metrics.deliveries.labels(channel, 'sent').inc();
        this.logger.log({ outboxId: id, channel, kind, attempt }, 'outbox message delivered');
        return;
      case OutboxStatus.Expired:
        this.metrics.deliveries.labels(channel, 'expired').inc();
        return;
      case OutboxStatus.Dead:
        this.metrics.deliveries.labels(channel, 'dead').inc();
        this.logger.warn(
          { outboxId: id, channel, kind, attempt, code: outcome.error },
          'outbox message dead-lettered',
        );
        return;
      case OutboxStatus.Pending:
        this.metrics.deliveries.labels(channel, 'retry').inc();
        this.logger.warn(
          { outboxId: id, channel, kind, attempt, code: outcome.error, retryInMs: outcome.delayMs },
          'outbox delivery failed; retrying later',
        );
        return;
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

function outbound(message: ClaimedMessage): OutboundMessage {
  return {
    id: message.id,
    idempotencyKey: message.id,
    channel: message.channel,
    kind: message.kind,
    recipient: message.recipient,
    payload: message.payload,
    attempt: message.attempts,
    createdAt: message.createdAt,
  };
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
