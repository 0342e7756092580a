import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type Prepared, preparedRows } from '../../../infra/database/prepared';
import { type EntityManager, In, IsNull, MoreThan, Repository } from 'typeorm';
import { DeviceSessionEntity, type SessionRevocationReason } from './device-session.entity';
import { RefreshTokenEntity } from './refresh-token.entity';

// Its columns aliased to the entity's property names (preparedRows).
const OPEN_SESSION: Prepared = {
  name: 'hekim_auth_open_session',
  text: `WITH session AS (
           INSERT INTO auth_sessions (user_id, user_agent, ip, last_used_at, expires_at)
           VALUES ($1, $2, $3, $4, $5)
           RETURNING id, user_id, user_agent, ip, created_at, last_used_at, expires_at
         ), token AS (
           INSERT INTO auth_refresh_tokens (session_id, token_hash) SELECT id, $6 FROM session
         )
         SELECT id, user_id AS "userId", user_agent AS "userAgent", ip, created_at AS "createdAt",
                last_used_at AS "lastUsedAt", expires_at AS "expiresAt"
         FROM session`,
};

// The only code that touches auth_sessions and auth_refresh_tokens.
@Injectable()
export class DeviceSessionsRepository {
  constructor(
    @InjectRepository(DeviceSessionEntity)
    private readonly sessions: Repository<DeviceSessionEntity>,
  ) {}

  private repo(manager?: EntityManager): Repository<DeviceSessionEntity> {
    return manager ? manager.getRepository(DeviceSessionEntity) : this.sessions;
  }

  // A new session and its first refresh token, in one statement (one round trip on every
  // login's path; a data-modifying WITH runs to completion whether or not it is read),
  // prepared once per connection (docs/performance.md, scenario 7).
  async openSession(
    input: Pick<DeviceSessionEntity, 'userId' | 'userAgent' | 'ip' | 'lastUsedAt' | 'expiresAt'>,
    tokenHash: string,
    manager: EntityManager,
  ): Promise<DeviceSessionEntity> {
    const rows = await preparedRows<SessionRow>(manager, OPEN_SESSION, [
      input.userId,
      input.userAgent,
      input.ip,
      input.lastUsedAt,
      input.expiresAt,
      tokenHash,
    ]);
    const row = rows[0];
    if (!row) throw new Error('opening a session returned no row');
    return this.repo(manager).create({ ...row, revokedAt: null, revokedReason: null });
  }

  async addRefreshToken(
    sessionId: string,
    tokenHash: string,
    manager: EntityManager,
  ): Promise<void> {
    await manager
      .getRepository(RefreshTokenEntity)
      .insert({ sessionId, tokenHash, rotatedAt: null });
  }

  // Marks a live refresh token as rotated. Atomic: of two concurrent calls with the same
  // token, exactly one gets the session id back.
  async claimRefreshToken(tokenHash: string, manager: EntityManager): Promise<string | undefined> {
    const result = await manager
      .createQueryBuilder()
      .update(RefreshTokenEntity)
      .set({ rotatedAt: () => 'now()' })
      .where({ tokenHash, rotatedAt: IsNull() })
      .returning(['sessionId'])
      .execute();
    const rows = result.raw as { session_id: string }[];
    return rows[0]?.session_id;
  }

  findRefreshToken(tokenHash: string, manager: EntityManager): Promise<RefreshTokenEntity | null> {
    return manager.getRepository(RefreshTokenEntity).findOne({ where: { tokenHash } });
  }

  findById(id: string, manager?: EntityManager): Promise<DeviceSessionEntity | null> {
    return this.repo(manager).findOne({ where: { id } });
  }

  // Only what the standing of a principal needs (PrincipalStandings), for many at once.
  findByIds(ids: readonly string[]): Promise<DeviceSessionEntity[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.sessions.find({
      select: { id: true, userId: true, revokedAt: true },
      where: { id: In([...ids]) },
    });
  }

  findByIdForUpdate(id: string, manager: EntityManager): Promise<DeviceSessionEntity | null> {
    return this.repo(manager).findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  async touch(id: string, at: Date, manager: EntityManager): Promise<void> {
    await this.repo(manager).update({ id }, { lastUsedAt: at });
  }

  // Revokes one session if it is still live; true when this call revoked it.
  async revoke(
    id: string,
    reason: SessionRevocationReason,
    manager: EntityManager,
  ): Promise<boolean> {
    const result = await this.repo(manager).update(
      { id, revokedAt: IsNull() },
      { revokedAt: () => 'now()', revokedReason: reason },
    );
    return (result.affected ?? 0) > 0;
  }

  async revokeAllForUser(
    userId: string,
    reason: SessionRevocationReason,
    manager: EntityManager,
  ): Promise<string[]> {
    const result = await manager
      .createQueryBuilder()
      .update(DeviceSessionEntity)
      .set({ revokedAt: () => 'now()', revokedReason: reason })
      .where({ userId, revokedAt: IsNull() })
      .returning(['id'])
      .execute();
    return (result.raw as { id: string }[]).map((r) => r.id);
  }

  // Sessions that can still be refreshed (the idle timeout is judged by the caller).
  listLive(userId: string, now: Date): Promise<DeviceSessionEntity[]> {
    return this.repo().find({
      where: { userId, revokedAt: IsNull(), expiresAt: MoreThan(now) },
      order: { lastUsedAt: 'DESC' },
    });
  }
}

type SessionRow = Pick<
  DeviceSessionEntity,
  'id' | 'userId' | 'userAgent' | 'ip' | 'createdAt' | 'lastUsedAt' | 'expiresAt'
>;
