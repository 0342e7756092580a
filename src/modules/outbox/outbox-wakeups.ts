import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { PgListener } from '../../infra/database/pg-listener';
import { OutboxRelay } from './outbox-relay';

export const OUTBOX_CHANNEL = 'hekim_outbox';

// Listens for the NOTIFY the database sends when messages are written to the outbox
// (migration OutboxWakeups) and wakes the relay, so that a message goes out right after the
// transaction that wrote it commits, not at the next poll. The poll (NOTIFY_POLL_INTERVAL_MS)
// stays: retries fall due without a write, and while the listening connection is down (it
// reconnects on its own) the relay only polls.
@Injectable()
export class OutboxWakeups implements OnApplicationBootstrap, OnModuleDestroy {
  private listener: PgListener | null = null;

  constructor(
    private readonly config: AppConfig,
    private readonly relay: OutboxRelay,
  ) {}

  onApplicationBootstrap(): Promise<void> {
    const url = this.config.database.url;
    if (!this.config.notify.relayEnabled || !url) return Promise.resolve();
    this.listener = new PgListener({
      url,
      applicationName: 'hekim-outbox-wakeups',
      channel: OUTBOX_CHANNEL,
      onNotify: () => this.relay.wake(),
      // Once listening (again), whatever was written while the connection was down.
      onLive: (live) => {
        if (live) this.relay.wake();
      },
      logger: new Logger('OutboxWakeups'),
      lostMessage: 'outbox wake-ups lost; the relay polls until they are back',
      backMessage: 'outbox wake-ups are back',
    });
    return this.listener.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.listener?.stop();
  }
}
