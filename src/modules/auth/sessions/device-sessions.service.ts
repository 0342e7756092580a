import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { AuthUser } from '../../../common/auth/auth-user';
import type { RequestMeta } from '../../../common/http/request-meta';
import { AppConfig } from '../../../config/app-config';
import { AuditAction, AuditOutcome } from '../../audit/audit-action';
import { AuditService } from '../../audit/audit.service';
import { UserSessionsPort } from '../../users/ports/user-sessions.port';
import { auditActor } from '../../../common/auth/auth-user';
import { AuthErrors } from '../auth.errors';
import { type DeviceSessionResponse, toSessionResponse } from '../dto/session.response';
import { newOpaqueToken, sha256Hex } from '../tokens/opaque-token';
import { type DeviceSessionEntity, SessionRevocationReason } from './device-session.entity';
import { PrincipalStandings } from './principal-standings';
import { DeviceSessionsRepository } from './device-sessions.repository';

// Device sessions: opening one at login, listing and revoking them, and ending all of a
// user's sessions for the users module (UserSessionsPort).
@Injectable()
export class DeviceSessionsService extends UserSessionsPort {
  constructor(
    private readonly dataSource: DataSource,
    private readonly repository: DeviceSessionsRepository,
    private readonly standings: PrincipalStandings,
    private readonly audit: AuditService,
    private readonly config: AppConfig,
  ) {
    super();
  }

  async open(
    userId: string,
    meta: RequestMeta,
    manager: EntityManager,
  ): Promise<{ session: DeviceSessionEntity; refreshToken: string }> {
    const now = new Date();
    const refreshToken = newOpaqueToken();
    const session = await this.repository.openSession(
      {
        userId,
        userAgent: meta.userAgent,
        ip: meta.ip,
        lastUsedAt: now,
        expiresAt: new Date(now.getTime() + this.config.auth.refreshTokenTtlSeconds * 1000),
      },
      sha256Hex(refreshToken),
      manager,
    );
    return { session, refreshToken };
  }

  // Why a live-looking session can no longer be refreshed, if it cannot.
  endReason(session: DeviceSessionEntity, now: Date): SessionRevocationReason | undefined {
    if (session.expiresAt.getTime() <= now.getTime()) return SessionRevocationReason.Expired;
    const idleMs = this.config.auth.refreshIdleTimeoutSeconds * 1000;
    if (session.lastUsedAt.getTime() + idleMs <= now.getTime()) {
      return SessionRevocationReason.IdleTimeout;
    }
    return undefined;
  }

  async list(actor: AuthUser): Promise<DeviceSessionResponse[]> {
    const now = new Date();
    const sessions = await this.repository.listLive(actor.id, now);
    return sessions
      .filter((s) => this.endReason(s, now) === undefined)
      .map((s) => toSessionResponse(s, actor.sessionId));
  }

  async revokeOne(actor: AuthUser, sessionId: string, meta: RequestMeta): Promise<void> {
    const owned = await this.dataSource.transaction(async (manager) => {
      const session = await this.repository.findByIdForUpdate(sessionId, manager);
      // Another user's session looks exactly like a missing one.
      const mine = session !== null && session.userId === actor.id;
      const revoked = mine
        ? await this.repository.revoke(sessionId, SessionRevocationReason.Revoked, manager)
        : false;
      await this.audit.record(
        {
          action: AuditAction.AuthSessionRevoke,
          outcome: mine ? AuditOutcome.Success : AuditOutcome.Denied,
          actor: auditActor(actor, meta),
          resource: { type: 'session', id: sessionId },
          subjectId: actor.id,
          requestId: meta.requestId,
          details: mine ? { alreadyEnded: !revoked } : { reason: 'not_found' },
        },
        manager,
      );
      return mine;
    });
    if (!owned) throw AuthErrors.sessionNotFound();
    await this.standings.changed({ sessionIds: [sessionId], userIds: [] });
  }

  revokeAllForUser(
    userId: string,
    reason: 'user_deactivated' | 'role_changed' | 'password_reset' | 'invitation_revoked',
    manager: EntityManager,
  ): Promise<string[]> {
    return this.repository.revokeAllForUser(userId, reason as SessionRevocationReason, manager);
  }

  propagate(sessionIds: readonly string[], userId?: string): Promise<void> {
    return this.standings.changed({ sessionIds, userIds: userId ? [userId] : [] });
  }
}
