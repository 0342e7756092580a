import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../config/app-config';
import { KeyValueStore } from '../../infra/redis/key-value.store';
import { DeadInstanceWatch } from './dead-instance-watch';
import { InstanceIdentity } from './instance-identity';
import { RoomSocketsCache } from './room-sockets.cache';
import { SessionsRepository } from './sessions.repository';

// Which Hekim instances are alive. Each one proves it with a heartbeat in Redis; the stays and
// knocks of an instance whose heartbeat lapsed are released into the reconnect grace, exactly
// as if its sockets had disconnected (InstanceReleaseSweeper runs this every 5 s).
@Injectable()
export class InstanceLiveness {
  // How long a heartbeat is kept; it is written every HEARTBEAT_EVERY_MS.
  static readonly HEARTBEAT_TTL_SECONDS = 15;
  static readonly HEARTBEAT_EVERY_MS = 5_000;
  // How long another instance's heartbeat must stay missing, as seen from here, before its
  // sockets are declared gone (see DeadInstanceWatch).
  static readonly MISSING_CONFIRM_MS = 12_000;

  private readonly watch = new DeadInstanceWatch(InstanceLiveness.MISSING_CONFIRM_MS);

  constructor(
    private readonly dataSource: DataSource,
    private readonly config: AppConfig,
    private readonly instance: InstanceIdentity,
    private readonly store: KeyValueStore,
    private readonly sessions: SessionsRepository,
    private readonly roomSockets: RoomSocketsCache,
  ) {}

  // This instance's id: a socket's stay records where it is connected.
  get instanceId(): string {
    return this.instance.id;
  }

  async heartbeat(): Promise<void> {
    await this.store.set(
      `signaling:instance:${this.instance.id}`,
      '1',
      InstanceLiveness.HEARTBEAT_TTL_SECONDS,
    );
  }

  // Whether another instance's heartbeat is current (its sockets are alive).
  async instanceAlive(instanceId: string): Promise<boolean> {
    return (await this.store.get(`signaling:instance:${instanceId}`)) !== null;
  }

  // Stays and knocks held by an instance that died without shutting down enter the reconnect
  // grace. Returns the instances released.
  async releaseDeadInstances(now: number = Date.now()): Promise<string[]> {
    const released: string[] = [];
    const holding = await this.sessions.instancesHoldingSockets();
    this.watch.retain(holding);
    for (const id of holding) {
      if (id === this.instance.id) continue;
      if (!this.watch.observe(id, await this.instanceAlive(id), now)) continue;
      const until = new Date(Date.now() + this.config.signaling.reconnectGraceSeconds * 1000);
      await this.dataSource
        .transaction((m) => this.sessions.releaseInstance(id, until, m))
        .finally(() => this.roomSockets.invalidate('*'));
      this.watch.released(id);
      released.push(id);
    }
    return released;
  }
}
