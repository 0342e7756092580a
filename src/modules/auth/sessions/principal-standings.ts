import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { Subject } from 'rxjs';
import type { Role } from '../../../common/auth/role';
import { AppConfig } from '../../../config/app-config';
import { PubSub, type Unsubscribe } from '../../../infra/redis/key-value.store';
import { UserStatus } from '../../users/user.entity';
import { UsersRepository } from '../../users/users.repository';
import { DeviceSessionsRepository } from './device-sessions.repository';

// What an authenticated principal (a user acting through one device session) may do now:
// act with their current role, or nothing at all (null) because the session was revoked,
// the user deactivated or deleted.
export type Standing = { role: Role } | null;

export interface Principal {
  sessionId: string;
  userId: string;
}

// Sessions or users whose standing changed: every instance drops what it knew of them.
export interface PrincipalChange {
  sessionIds: readonly string[];
  userIds: readonly string[];
}

interface Entry {
  userId: string;
  standing: Standing;
  until: number;
}

export const PRINCIPALS_CHANNEL = 'auth:principals';

// The standing of every principal, read from PostgreSQL (auth_sessions and users: the record
// of revocation, status and role) and kept in process for a moment so that a request or a
// signaling event is judged by a map lookup. Durable by construction: nothing here outlives
// the process, and nothing in Redis is trusted; a restart or an empty Redis only means the
// next check reads the database.
//
// Freshness: a change made here drops the entries at once and tells every other instance
// through PubSub (Redis in server mode), which drops them too; if that message is lost (Redis
// away), an entry is never older than LIVE_TTL_MS. A revoked session is final and remembered
// until its access tokens have expired anyway.
@Injectable()
export class PrincipalStandings implements OnApplicationBootstrap, OnModuleDestroy {
  static readonly LIVE_TTL_MS = 2000;
  static readonly MAX_ENTRIES = 50_000;

  private readonly logger = new Logger('PrincipalStandings');
  private readonly entries = new Map<string, Entry>();
  private readonly loads = new Map<string, Promise<Standing>>();
  // Raised by every change: a load that began before it must not be kept.
  private epoch = 0;
  private unsubscribe: Unsubscribe | undefined;
  readonly changes = new Subject<PrincipalChange>();

  // Replaceable in unit specs.
  now: () => number = Date.now;

  constructor(
    private readonly sessions: DeviceSessionsRepository,
    private readonly users: UsersRepository,
    private readonly pubsub: PubSub,
    private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.unsubscribe = await this.pubsub.subscribe(PRINCIPALS_CHANNEL, (message) => {
      const change = parseChange(message);
      if (change) this.forget(change);
    });
  }

  async onModuleDestroy(): Promise<void> {
    this.changes.complete();
    await this.unsubscribe?.().catch(() => undefined);
  }

  // The standing when it is known and fresh, without waiting; undefined otherwise.
  peek(p: Principal): Standing | undefined {
    const entry = this.entries.get(p.sessionId);
    if (!entry) return undefined;
    if (entry.until <= this.now()) {
      this.entries.delete(p.sessionId);
      return undefined;
    }
    // A session belongs to one user for its whole life; a token that says otherwise is forged
    // or from another deployment.
    return entry.userId === p.userId ? entry.standing : null;
  }

  async standing(p: Principal): Promise<Standing> {
    const known = this.peek(p);
    if (known !== undefined) return known;
    // Concurrent checks of one principal share one read.
    const key = `${p.sessionId}:${p.userId}`;
    let load = this.loads.get(key);
    if (!load) {
      const pending = this.load([p]).then((m) => m.get(p.sessionId) ?? null);
      const forget = (): void => {
        if (this.loads.get(key) === pending) this.loads.delete(key);
      };
      pending.then(forget, forget);
      this.loads.set(key, pending);
      load = pending;
    }
    return load;
  }

  // Makes the standing of many principals fresh in one round trip (the live sockets' periodic
  // check), so that `peek` answers for each afterwards.
  async confirm(principals: readonly Principal[]): Promise<void> {
    const stale = principals.filter((p) => this.peek(p) === undefined);
    if (stale.length > 0) await this.load(stale);
  }

  // After a change is committed: drops what this instance knew and tells the others.
  async changed(change: PrincipalChange): Promise<void> {
    if (change.sessionIds.length === 0 && change.userIds.length === 0) return;
    this.forget(change);
    try {
      await this.pubsub.publish(PRINCIPALS_CHANNEL, JSON.stringify(change));
    } catch (err) {
      // The other instances catch up within LIVE_TTL_MS; the record is already committed.
      this.logger.warn(
        { err: err instanceof Error ? err.message : String(err) },
        'could not announce a principal change; other instances see it within their cache lifetime',
      );
    }
  }

  private forget(change: PrincipalChange): void {
    this.epoch++;
    for (const id of change.sessionIds) this.entries.delete(id);
    if (change.userIds.length > 0) {
      const users = new Set(change.userIds);
      for (const [id, entry] of this.entries) if (users.has(entry.userId)) this.entries.delete(id);
    }
    this.changes.next(change);
  }

  // Reads sessions and users (two statements for any number of principals) and keeps the
  // answers unless something changed meanwhile.
  private async load(principals: readonly Principal[]): Promise<Map<string, Standing>> {
    const epoch = this.epoch;
    const [sessions, users] = await Promise.all([
      this.sessions.findByIds([...new Set(principals.map((p) => p.sessionId))]),
      this.users.standings([...new Set(principals.map((p) => p.userId))]),
    ]);
    const sessionById = new Map(sessions.map((s) => [s.id, s]));
    const userById = new Map(users.map((u) => [u.id, u]));
    const now = this.now();
    const finalUntil = now + (this.config.auth.accessTokenTtlSeconds + 60) * 1000;
    const out = new Map<string, Standing>();
    for (const p of principals) {
      const session = sessionById.get(p.sessionId);
      const user = userById.get(p.userId);
      let entry: Entry;
      if (!session || session.revokedAt !== null || session.userId !== p.userId) {
        // Final: a revoked session never comes back.
        entry = { userId: session?.userId ?? p.userId, standing: null, until: finalUntil };
      } else if (!user || user.status !== UserStatus.Active) {
        entry = { userId: p.userId, standing: null, until: now + PrincipalStandings.LIVE_TTL_MS };
      } else {
        entry = {
          userId: p.userId,
          standing: { role: user.role },
          until: now + PrincipalStandings.LIVE_TTL_MS,
        };
      }
      out.set(p.sessionId, entry.userId === p.userId ? entry.standing : null);
      if (epoch === this.epoch) this.keep(p.sessionId, entry);
    }
    return out;
  }

  private keep(sessionId: string, entry: Entry): void {
    if (this.entries.size >= PrincipalStandings.MAX_ENTRIES && !this.entries.has(sessionId)) {
      // A Map iterates in insertion order: the first key is the oldest entry.
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(sessionId, entry);
  }
}

function parseChange(message: string): PrincipalChange | undefined {
  try {
    const value = JSON.parse(message) as Partial<PrincipalChange>;
    const ids = (v: unknown): string[] =>
      Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
    return { sessionIds: ids(value.sessionIds), userIds: ids(value.userIds) };
  } catch {
    return undefined;
  }
}
