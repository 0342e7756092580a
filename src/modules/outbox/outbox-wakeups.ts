import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { Client } from 'pg';
import { AppConfig } from '../../config/app-config';
import { OutboxRelay } from './outbox-relay';

export const OUTBOX_CHANNEL = 'hekim_outbox';

// Listens on a connection of its own for the NOTIFY the database sends when messages are
// written to the outbox (migration OutboxWakeups) and wakes the relay, so that a message goes
// out right after the transaction that wrote it commits, not at the next poll. The poll
// (NOTIFY_POLL_INTERVAL_MS) stays: retries fall due without a write, and while this
// connection is down (it reconnects on its own) the relay only polls.
@Injectable()
export class OutboxWakeups implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('OutboxWakeups');
  private client: Client | null = null;
  private retry: NodeJS.Timeout | null = null;
  private attempts = 0;
  private stopped = false;

  constructor(
    private readonly config: AppConfig,
    private readonly relay: OutboxRelay,
  ) {}

  onApplicationBootstrap(): Promise<void> {
    if (!this.config.notify.relayEnabled) return Promise.resolve();
    return this.connect();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    this.retry = null;
    if (this.stopped || !this.config.database.url) return;
    const client = new Client({
      connectionString: this.config.database.url,
      application_name: 'hekim-outbox-wakeups',
      keepAlive: true,
      connectionTimeoutMillis: 3000,
    });
    this.client = client;
    client.on('notification', (n) => {
      if (n.channel === OUTBOX_CHANNEL) this.relay.wake();
    });
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, null));
    try {
      await client.connect();
      await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
    } catch (err) {
      this.lost(client, err);
      return;
    }
    if (this.client !== client) return;
    if (this.attempts > 0) this.logger.log('outbox wake-ups are back');
    this.attempts = 0;
    // Whatever was written while the connection was down.
    this.relay.wake();
  }

  private lost(client: Client, err: unknown): void {
    if (this.client !== client) return;
    this.client = null;
    client.end().catch(() => undefined);
    if (this.stopped) return;
    this.attempts++;
    if (this.attempts === 1)
      this.logger.warn(
        { err: err instanceof Error ? err.message : 'connection ended' },
        'outbox wake-ups lost; the relay polls until they are back',
      );
    const delay = Math.min(10_000, 250 * 2 ** Math.min(this.attempts, 6));
    this.retry = setTimeout(() => void this.connect(), delay);
    this.retry.unref();
  }
}
