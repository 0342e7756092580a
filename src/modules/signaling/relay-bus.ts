import { Injectable, Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { AppConfig } from '../../config/app-config';
import { RedisConnections } from '../../infra/redis/redis-connections';
import { RELAY_EVENTS, type RelayEvent } from './signaling-events';

// Relays per PUBLISH at most; a larger burst is split.
const MAX_BATCH = 128;
const RELAY_EVENT_NAMES: ReadonlySet<string> = new Set(RELAY_EVENTS);

type Publish = (channel: string, message: string) => Promise<number>;

// A socket of this instance, as far as a relay needs one.
interface Deliverable {
  emit(event: RelayEvent, payload: object): boolean;
}
interface LocalSockets {
  get(socketId: string): Deliverable | undefined;
}

// Offers, answers and candidates for a socket on another instance. The Socket.IO Redis adapter
// would publish each one on its own to every instance (a msgpack encode, a PUBLISH and, on
// each instance, a parse); here they are queued per target instance and leave as one PUBLISH
// per instance per turn of the event loop, on a channel only that instance subscribes to.
//
// Order: the bus owns the adapter's two Redis connections. Anything the adapter publishes
// first sends the relays queued before it, on the same connection, and both arrive on one
// subscriber connection; so a relay and a later emit (a participant leaving, a call ending)
// reach a client in the order they were sent, as when both went through the adapter.
//
// Redis is trusted as it is by the adapter, but what arrives is still checked: a batch that
// does not parse is dropped whole, an entry that is not a relay event for a socket is skipped.
@Injectable()
export class RelayBus {
  private readonly logger = new Logger('RelayBus');
  // The Socket.IO adapter's connections; null without Redis (one instance, nothing to carry).
  readonly clients: { pub: Redis; sub: Redis } | null = null;
  private readonly channelPrefix: string;
  private readonly publish: Publish = () => Promise.resolve(0);
  // Target instance → its queued relays, flat: socketId, event, payload, socketId, …
  private readonly pending = new Map<string, unknown[]>();
  private scheduled = false;
  private sockets: LocalSockets | null = null;

  constructor(redis: RedisConnections, config: AppConfig) {
    this.channelPrefix = `${config.redis.keyPrefix}relay#`;
    if (!redis.enabled) return;
    const pub = guardPublish(redis.duplicate('socketio-pub'));
    const publish: Publish = pub.publish.bind(pub);
    this.publish = publish;
    Object.assign(pub, {
      publish: (channel: string, message: string): Promise<number> => {
        this.flush();
        return publish(channel, message);
      },
    });
    // ioredis resubscribes after a reconnect without handling the result; with a retry cap or
    // a command timeout those commands fail as unhandled rejections during a Redis outage.
    // The subscriber waits for Redis instead.
    const sub = redis.duplicate('socketio-sub', {
      maxRetriesPerRequest: null,
      commandTimeout: undefined,
    });
    this.clients = { pub, sub };
  }

  channel(instanceId: string): string {
    return this.channelPrefix + instanceId;
  }

  // Starts delivering the relays other instances send to this one's sockets.
  async listen(instanceId: string, sockets: LocalSockets): Promise<void> {
    if (!this.clients) return;
    this.sockets = sockets;
    const mine = Buffer.from(this.channel(instanceId));
    this.clients.sub.on('messageBuffer', (channel: Buffer, message: Buffer) => {
      if (mine.equals(channel)) this.deliver(message);
    });
    await this.clients.sub.subscribe(mine.toString());
  }

  // Queues a relay for `socketId` on `instanceId`. False without Redis: the caller emits
  // through the Socket.IO adapter instead.
  send(instanceId: string, socketId: string, event: RelayEvent, payload: object): boolean {
    if (!this.clients) return false;
    let batch = this.pending.get(instanceId);
    if (!batch) this.pending.set(instanceId, (batch = []));
    batch.push(socketId, event, payload);
    if (batch.length >= MAX_BATCH * 3) {
      this.pending.delete(instanceId);
      this.publishBatch(instanceId, batch);
    } else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    return true;
  }

  // Publishes every queued relay now (one PUBLISH per target instance).
  flush(): void {
    this.scheduled = false;
    if (this.pending.size === 0) return;
    for (const [instanceId, batch] of this.pending) this.publishBatch(instanceId, batch);
    this.pending.clear();
  }

  private publishBatch(instanceId: string, batch: unknown[]): void {
    void this.publish(this.channel(instanceId), JSON.stringify(batch));
  }

  // A batch for this instance: each relay goes to its socket if the socket is still here (a
  // socket that left meanwhile misses it, as it would through the adapter).
  deliver(message: Buffer): void {
    let batch: unknown;
    try {
      batch = JSON.parse(message.toString());
    } catch {
      batch = undefined;
    }
    if (!Array.isArray(batch) || batch.length % 3 !== 0) {
      this.logger.warn({ bytes: message.length }, 'malformed relay batch dropped');
      return;
    }
    for (let i = 0; i < batch.length; i += 3) {
      const socketId: unknown = batch[i];
      const event: unknown = batch[i + 1];
      const payload: unknown = batch[i + 2];
      if (
        typeof socketId !== 'string' ||
        typeof event !== 'string' ||
        !RELAY_EVENT_NAMES.has(event) ||
        typeof payload !== 'object' ||
        payload === null
      )
        continue;
      this.sockets?.get(socketId)?.emit(event as RelayEvent, payload);
    }
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
