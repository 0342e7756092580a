import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Redis, type RedisOptions } from 'ioredis';
import { AppConfig } from '../../config/app-config';

// Owns every Redis connection of the process. In the embedded mode there are none and
// `client` is null; features go through KeyValueStore/PubSub and never look at this.
@Injectable()
export class RedisConnections implements OnApplicationShutdown {
  private readonly logger = new Logger('Redis');
  readonly client: Redis | null;
  private readonly extra: Redis[] = [];

  constructor(private readonly config: AppConfig) {
    this.client = config.redis.url ? this.connect('main') : null;
    if (!this.client) {
      this.logger.warn('REDIS_URL is not set: using in-process stores (single instance only)');
    }
  }

  get enabled(): boolean {
    return this.client !== null;
  }

  // A further connection (subscriber mode, Socket.IO adapter), closed with the others.
  // `overrides` tune one connection, e.g. a subscriber that must queue its resubscribe
  // commands across an outage instead of failing them (maxRetriesPerRequest: null).
  duplicate(name: string, overrides: Partial<RedisOptions> = {}): Redis {
    if (!this.config.redis.url) throw new Error('Redis is not configured');
    const connection = this.connect(name, overrides);
    this.extra.push(connection);
    return connection;
  }

  private connect(name: string, overrides: Partial<RedisOptions> = {}): Redis {
    const connection = new Redis(this.config.redis.url as string, {
      connectionName: `hekim-${name}`,
      // Fail commands fast while Redis is away instead of queueing them for minutes; callers
      // decide whether that means fail open or fail closed.
      maxRetriesPerRequest: 1,
      commandTimeout: 2000,
      connectTimeout: 2000,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
      lazyConnect: false,
      ...overrides,
    });
    let down = false;
    connection.on('error', (err: Error) => {
      if (!down)
        this.logger.error({ connection: name, err: err.message }, 'Redis connection error');
      down = true;
    });
    connection.on('ready', () => {
      if (down) this.logger.log({ connection: name }, 'Redis connection restored');
      down = false;
    });
    return connection;
  }

  async onApplicationShutdown(): Promise<void> {
    const all = [...this.extra, ...(this.client ? [this.client] : [])];
    await Promise.all(all.map((c) => c.quit().catch(() => c.disconnect())));
  }
}
