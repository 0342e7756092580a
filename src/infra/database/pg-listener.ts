import type { Logger } from '@nestjs/common';
import { Client } from 'pg';

export interface PgListenerOptions {
  url: string;
  // Shown in pg_stat_activity, e.g. `hekim-presence`.
  applicationName: string;
  channel: string;
  // Each NOTIFY on the channel, with its payload ('' when none).
  onNotify: (payload: string) => void;
  // Whether notifications are flowing: true once listening, false when the connection is lost.
  onLive: (live: boolean) => void;
  logger: Logger;
  // Logged once when the connection is lost, and when it is back.
  lostMessage: string;
  backMessage: string;
}

// LISTEN on a connection of its own (a pooled connection cannot hold a LISTEN), reconnecting
// with backoff (250 ms doubling to 10 s) whenever the connection fails or ends. Used by the
// modules that learn of committed changes from the database's NOTIFY: presence
// (docs/architecture.md) and the outbox relay (docs/notifications.md).
export class PgListener {
  private client: Client | null = null;
  private retry: NodeJS.Timeout | null = null;
  private attempts = 0;
  private stopped = false;

  constructor(private readonly o: PgListenerOptions) {}

  start(): Promise<void> {
    return this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    const client = this.client;
    this.client = null;
    this.o.onLive(false);
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    this.retry = null;
    if (this.stopped) return;
    const client = new Client({
      connectionString: this.o.url,
      application_name: this.o.applicationName,
      keepAlive: true,
      connectionTimeoutMillis: 3000,
    });
    this.client = client;
    client.on('notification', (n) => {
      if (n.channel === this.o.channel) this.o.onNotify(n.payload ?? '');
    });
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, null));
    try {
      await client.connect();
      await client.query(`LISTEN ${this.o.channel}`);
    } catch (err) {
      this.lost(client, err);
      return;
    }
    if (this.client !== client) return;
    if (this.attempts > 0) this.o.logger.log(this.o.backMessage);
    this.attempts = 0;
    this.o.onLive(true);
  }

  private lost(client: Client, err: unknown): void {
    if (this.client !== client) return;
    this.client = null;
    this.o.onLive(false);
    client.end().catch(() => undefined);
    if (this.stopped) return;
    this.attempts++;
    if (this.attempts === 1)
      this.o.logger.warn(
        { err: err instanceof Error ? err.message : 'connection ended' },
        this.o.lostMessage,
      );
    const delay = Math.min(10_000, 250 * 2 ** Math.min(this.attempts, 6));
    this.retry = setTimeout(() => void this.connect(), delay);
    this.retry.unref();
  }
}
