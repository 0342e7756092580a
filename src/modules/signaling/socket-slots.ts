import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { KeyValueStore } from '../../infra/redis/key-value.store';
import { InstanceLiveness } from '../sessions/instance-liveness.service';

// A user's open sockets, across every instance (SIGNALING_MAX_SOCKETS_PER_USER): one shared
// set per user of `<instance>:<socket>` entries. A socket takes its place before it is
// counted, so that parallel handshakes never overshoot (at worst, both are refused). An
// instance that died without closing its sockets leaves entries behind; they are pruned when
// they would refuse someone, by the same heartbeat the presence uses to declare it dead.
@Injectable()
export class SocketSlots {
  // A socket lives at most as long as its tokens are refreshed; the set is refreshed with
  // every new socket and lapses a day after the last one.
  static readonly TTL_SECONDS = 24 * 3600;

  constructor(
    private readonly store: KeyValueStore,
    private readonly config: AppConfig,
    private readonly presence: InstanceLiveness,
  ) {}

  private key(userId: string): string {
    return `signaling:user-sockets:${userId}`;
  }

  // True when the socket may stay; false (and no place taken) when the user has too many.
  async claim(userId: string, socketId: string): Promise<boolean> {
    const key = this.key(userId);
    const mine = `${this.presence.instanceId}:${socketId}`;
    await this.store.setAdd(key, mine, SocketSlots.TTL_SECONDS);
    let members = await this.store.setMembers(key);
    const max = this.config.signaling.maxSocketsPerUser;
    if (members.length > max) members = await this.prune(key, members);
    if (members.length <= max) return true;
    await this.store.setRemove(key, mine);
    return false;
  }

  async release(userId: string, socketId: string): Promise<void> {
    await this.store.setRemove(this.key(userId), `${this.presence.instanceId}:${socketId}`);
  }

  // Drops the entries of instances whose heartbeat is gone; the entries left.
  private async prune(key: string, members: string[]): Promise<string[]> {
    const instances = [...new Set(members.map((m) => m.slice(0, m.lastIndexOf(':'))))];
    const dead = new Set<string>();
    for (const id of instances)
      if (id !== this.presence.instanceId && !(await this.presence.instanceAlive(id))) dead.add(id);
    if (dead.size === 0) return members;
    const kept: string[] = [];
    for (const m of members) {
      if (dead.has(m.slice(0, m.lastIndexOf(':')))) await this.store.setRemove(key, m);
      else kept.push(m);
    }
    return kept;
  }
}
