import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { Client } from 'pg';
import { AppConfig } from '../../config/app-config';
import { RoomSocketsCache } from './room-sockets.cache';

export const PRESENCE_CHANNEL = 'hekim_presence';

// Listens on a connection of its own for the NOTIFY that the database sends on every committed
// change to a room's session or participants (migration PresenceChangeNotifications) and
// drops that room from RoomSocketsCache. While the connection is down the cache is off (every
// relay check reads the database); it reconnects on its own.
@Injectable()
export class PresenceChangeFeed implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('PresenceChangeFeed');
  private client: Client | null = null;
  private retry: NodeJS.Timeout | null = null;
  private attempts = 0;
  private stopped = false;

  constructor(
    private readonly config: AppConfig,
    private readonly cache: RoomSocketsCache,
  ) {}

  onApplicationBootstrap(): Promise<void> {
    return this.connect();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    const client = this.client;
    this.client = null;
    this.cache.setLive(false);
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    this.retry = null;
    if (this.stopped || !this.config.database.url) return;
    const client = new Client({
      connectionString: this.config.database.url,
      application_name: 'hekim-presence',
      keepAlive: true,
      connectionTimeoutMillis: 3000,
    });
    this.client = client;
    client.on('notification', (n) => {
      if (n.channel === PRESENCE_CHANNEL) this.cache.invalidate(n.payload || '*');
    });
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, null));
    try {
      await client.connect();
      await client.query(`LISTEN ${PRESENCE_CHANNEL}`);
    } catch (err) {
      this.lost(client, err);
      return;
    }
    if (this.client !== client) return;
    if (this.attempts > 0) this.logger.log('presence change feed is back');
    this.attempts = 0;
    this.cache.setLive(true);
  }

  private lost(client: Client, err: unknown): void {
    if (this.client !== client) return;
    this.client = null;
    this.cache.setLive(false);
    client.end().catch(() => undefined);
    if (this.stopped) return;
    this.attempts++;
    if (this.attempts === 1)
      this.logger.warn(
        { err: err instanceof Error ? err.message : 'connection ended' },
        'presence change feed lost; relay checks read the database until it is back',
      );
    const delay = Math.min(10_000, 250 * 2 ** Math.min(this.attempts, 6));
    this.retry = setTimeout(() => void this.connect(), delay);
    this.retry.unref();
  }
}
