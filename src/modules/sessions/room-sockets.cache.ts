import { Injectable } from '@nestjs/common';
import type { SocketRef } from './sessions.repository';

// userId → their joined device in the room: its socket and the instance holding it.
export type RoomSockets = ReadonlyMap<string, Readonly<SocketRef>>;

interface Entry {
  sockets: RoomSockets;
  loadedAt: number;
}

interface Load {
  promise: Promise<RoomSockets>;
  // Set when the room changed (or the change feed was lost) while the load ran: its answer
  // may predate the change, so it is used for the callers that asked before the change and
  // never kept.
  stale: boolean;
}

// Each instance's view of who is joined in which room, so that the relay's authorization
// check is a map lookup instead of a query per message. It is only ever trusted while the
// change feed (PresenceChangeFeed: PostgreSQL NOTIFY on every committed change to a room's
// session or participants) is connected; every change drops the room's entry, losing the feed
// drops everything and stops caching until it is back, and an entry is never older than
// `maxAgeMs` whatever happens. A miss reads the database, as every check did before.
@Injectable()
export class RoomSocketsCache {
  static readonly MAX_AGE_MS = 30_000;
  static readonly MAX_ENTRIES = 10_000;

  private readonly entries = new Map<string, Entry>();
  private readonly loads = new Map<string, Load>();
  private live = false;

  // Replaceable in unit specs.
  now: () => number = Date.now;

  get connected(): boolean {
    return this.live;
  }

  // The change feed is connected (true) or lost (false).
  setLive(live: boolean): void {
    if (!live) this.invalidate('*');
    this.live = live;
  }

  // `*` drops every room.
  invalidate(roomId: string): void {
    if (roomId === '*') {
      this.entries.clear();
      for (const load of this.loads.values()) load.stale = true;
      this.loads.clear();
      return;
    }
    this.entries.delete(roomId);
    const load = this.loads.get(roomId);
    if (load) {
      load.stale = true;
      this.loads.delete(roomId);
    }
  }

  // Drops every room in which this socket is joined (it disconnected here).
  invalidateSocket(socketId: string): void {
    for (const [roomId, entry] of this.entries)
      for (const live of entry.sockets.values())
        if (live.socketId === socketId) this.entries.delete(roomId);
  }

  // The room's view when a current one is held, without waiting for anything.
  peek(roomId: string): RoomSockets | undefined {
    const entry = this.entries.get(roomId);
    if (!entry) return undefined;
    if (this.live && this.now() - entry.loadedAt < RoomSocketsCache.MAX_AGE_MS)
      return entry.sockets;
    this.entries.delete(roomId);
    return undefined;
  }

  get(roomId: string, load: () => Promise<RoomSockets>): Promise<RoomSockets> {
    const held = this.peek(roomId);
    if (held) return Promise.resolve(held);
    const running = this.loads.get(roomId);
    if (running) return running.promise;
    const loadedAt = this.now();
    const pending: Load = { promise: load(), stale: !this.live };
    this.loads.set(roomId, pending);
    pending.promise.then(
      (sockets) => {
        if (this.loads.get(roomId) === pending) this.loads.delete(roomId);
        if (pending.stale || !this.live) return;
        if (this.entries.size >= RoomSocketsCache.MAX_ENTRIES) this.evictOldest();
        this.entries.set(roomId, { sockets, loadedAt });
      },
      () => {
        if (this.loads.get(roomId) === pending) this.loads.delete(roomId);
      },
    );
    return pending.promise;
  }

  // Whether the room's view is held (for diagnostics and tests).
  holds(roomId: string): boolean {
    return this.entries.has(roomId);
  }

  private evictOldest(): void {
    // A Map iterates in insertion order: the first key is the oldest entry.
    const oldest = this.entries.keys().next();
    if (!oldest.done) this.entries.delete(oldest.value);
  }
}
