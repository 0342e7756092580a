import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, IsNull, MoreThan, Repository } from 'typeorm';
import { DeviceSessionEntity, type SessionRevocationReason } from './device-session.entity';
import { RefreshTokenEntity } from './refresh-token.entity';

// The only code that touches auth_sessions and auth_refresh_tokens.
@Injectable()
export class SessionsRepository {
  constructor(
    @InjectRepository(DeviceSessionEntity)
    private readonly sessions: Repository<DeviceSessionEntity>,
  ) {}

  private repo(manager?: EntityManager): Repository<DeviceSessionEntity> {
    return manager ? manager.getRepository(DeviceSessionEntity) : this.sessions;
  }

  createSession(
    input: Pick<DeviceSessionEntity, 'userId' | 'userAgent' | 'ip' | 'lastUsedAt' | 'expiresAt'>,
    manager: EntityManager,
  ): Promise<DeviceSessionEntity> {
    const repo = this.repo(manager);
    return repo.save(repo.create({ ...input, revokedAt: null, revokedReason: null }));
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

  findRefreshToken(tokenHash: string, manager?: EntityManager): Promise<RefreshTokenEntity | null> {
    const repo = manager
      ? manager.getRepository(RefreshTokenEntity)
      : this.sessions.manager.getRepository(RefreshTokenEntity);
    return repo.findOne({ where: { tokenHash } });
  }

  findById(id: string, manager?: EntityManager): Promise<DeviceSessionEntity | null> {
    return this.repo(manager).findOne({ where: { id } });
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
