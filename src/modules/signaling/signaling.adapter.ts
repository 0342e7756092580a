import { type INestApplicationContext, Logger } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import type { Redis } from 'ioredis';
import type { Server, ServerOptions } from 'socket.io';
import type { AppConfig } from '../../config/app-config';
import type { RedisConnections } from '../../infra/redis/redis-connections';

// The Socket.IO server of the signaling gateway: message size capped by configuration, CORS
// from the same allow-list as REST, and with Redis the adapter that carries room and
// per-socket emits between instances. Connection-state recovery stays off: a recovered socket
// would skip the authentication middleware.
export class SignalingIoAdapter extends IoAdapter {
  constructor(
    app: INestApplicationContext,
    private readonly config: AppConfig,
    private readonly redis: RedisConnections,
  ) {
    super(app);
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    const { connectionStateRecovery: _ignored, ...rest } = options ?? {};
    const server = super.createIOServer(port, {
      ...rest,
      maxHttpBufferSize: this.config.signaling.maxPayloadBytes,
      cors: { origin: this.config.http.corsOrigins, methods: ['GET', 'POST'] },
      serveClient: false,
    }) as Server;
    if (this.redis.enabled) {
      server.adapter(
        createAdapter(
          guardPublish(this.redis.duplicate('socketio-pub')),
          // ioredis resubscribes after a reconnect; with a retry cap those commands would be
          // failed as unhandled rejections during a Redis outage.
          // Nor a command timeout: under load a reconnect can take longer than the timeout,
          // and the adapter leaves the rejected resubscribe unhandled.
          this.redis.duplicate('socketio-sub', {
            maxRetriesPerRequest: null,
            commandTimeout: undefined,
          }),
          {
            key: `${this.config.redis.keyPrefix}socket.io`,
          },
        ),
      );
    }
    return server;
  }
}

// Hazard: the Redis adapter calls publish() without handling its promise, so during a Redis
// outage every cross-instance emit would become an unhandled rejection and stop the process.
// Failures are logged once per outage instead; those emits are lost, as they would be anyway.
export function guardPublish(client: Redis): Redis {
  const logger = new Logger('SignalingAdapter');
  const original = client.publish.bind(client);
  const publish = (channel: string, message: string): Promise<number> => original(channel, message);
  let failing = false;
  const guarded = (channel: string, message: string): Promise<number> =>
    publish(channel, message).then(
      (n) => {
        failing = false;
        return n;
      },
      (err: unknown) => {
        if (!failing)
          logger.warn(
            { err: err instanceof Error ? err.message : String(err) },
            'cross-instance emit failed',
          );
        failing = true;
        return 0;
      },
    );
  Object.assign(client, { publish: guarded });
  return client;
}
