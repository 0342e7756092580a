import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { PgListener } from '../../infra/database/pg-listener';
import { RoomSocketsCache } from './room-sockets.cache';

export const PRESENCE_CHANNEL = 'hekim_presence';

// Listens for the NOTIFY that the database sends on every committed change to a room's session
// or participants (migration PresenceChangeNotifications) and drops that room from
// RoomSocketsCache. While the listening connection is down the cache is off (every relay
// check reads the database); it reconnects on its own.
@Injectable()
export class PresenceChangeFeed implements OnApplicationBootstrap, OnModuleDestroy {
  private listener: PgListener | null = null;

  constructor(
    private readonly config: AppConfig,
    private readonly cache: RoomSocketsCache,
  ) {}

  onApplicationBootstrap(): Promise<void> {
    const url = this.config.database.url;
    if (!url) return Promise.resolve();
    this.listener = new PgListener({
      url,
      applicationName: 'hekim-presence',
      channel: PRESENCE_CHANNEL,
      onNotify: (payload) => this.cache.invalidate(payload || '*'),
      onLive: (live) => this.cache.setLive(live),
      logger: new Logger('PresenceChangeFeed'),
      lostMessage: 'presence change feed lost; relay checks read the database until it is back',
      backMessage: 'presence change feed is back',
    });
    return this.listener.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.listener?.stop();
  }
}
