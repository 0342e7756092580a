import { Global, Module } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { KeyValueStore, PubSub } from './key-value.store';
import { MemoryKeyValueStore, MemoryPubSub } from './memory.store';
import { RedisConnections } from './redis-connections';
import { RedisKeyValueStore, RedisPubSub } from './redis.store';

@Global()
@Module({
  providers: [
    RedisConnections,
    {
      provide: KeyValueStore,
      inject: [RedisConnections, AppConfig],
      useFactory: (redis: RedisConnections, config: AppConfig): KeyValueStore =>
        redis.client
          ? new RedisKeyValueStore(redis.client, config.redis.keyPrefix)
          : new MemoryKeyValueStore(config.redis.keyPrefix),
    },
    {
      provide: PubSub,
      inject: [RedisConnections, AppConfig],
      useFactory: (redis: RedisConnections, config: AppConfig): PubSub =>
        redis.client
          ? new RedisPubSub(redis.client, redis.duplicate('subscriber'), config.redis.keyPrefix)
          : new MemoryPubSub(),
    },
  ],
  exports: [RedisConnections, KeyValueStore, PubSub],
})
export class RedisModule {}
