import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { auditActor, type AuthUser } from '../../../common/auth/auth-user';
import { Role } from '../../../common/auth/role';
import { decodeCursor, DEFAULT_PAGE_SIZE, encodeCursor } from '../../../common/http/cursor';
import type { RequestMeta } from '../../../common/http/request-meta';
import { AppConfig } from '../../../config/app-config';
import { AuditAction, AuditOutcome } from '../../audit/audit-action';
import { AuditService } from '../../audit/audit.service';
import { EmergencyAccessPort } from '../../users/ports/emergency-access.port';
import { UserStatus } from '../../users/user.entity';
import { UsersRepository } from '../../users/users.repository';
import type { BreakGlassGrantEntity } from './break-glass-grant.entity';
import { BreakGlassErrors } from './break-glass.errors';
import { BreakGlassRepository } from './break-glass.repository';
import {
  type BreakGlassListResponse,
  type BreakGlassResponse,
  BreakGlassStatus,
  type ListBreakGlassQuery,
  type StartBreakGlassRequest,
} from './dto/break-glass.dto';

// How often each instance looks for grants whose expiry is not yet in the audit trail.
export const BREAK_GLASS_SWEEP_MS = 30_000;
const SWEEP_BATCH = 100;

export function statusOf(grant: BreakGlassGrantEntity, now: Date): BreakGlassStatus {
  if (grant.endedAt) return BreakGlassStatus.Ended;
  return grant.expiresAt.getTime() <= now.getTime()
    ? BreakGlassStatus.Expired
    : BreakGlassStatus.Active;
}

export function toBreakGlassResponse(g: BreakGlassGrantEntity, now: Date): BreakGlassResponse {
  return {
    id: g.id,
    doctorId: g.doctorId,
    patientId: g.patientId,
    reason: g.reason,
    status: statusOf(g, now),
    startedAt: g.startedAt.toISOString(),
    expiresAt: g.expiresAt.toISOString(),
    endedAt: g.endedAt?.toISOString() ?? null,
    endedById: g.endedById,
  };
}

// Emergency access (HIPAA 164.312(a)(2)(ii)): a doctor opens time-limited access to one
// patient's record for a written reason. Start, each access (recorded by the reader, see
// PatientProfileService), end and expiry are audited under their own actions.
@Injectable()
export class BreakGlassService
  extends EmergencyAccessPort
  implements OnModuleInit, OnModuleDestroy
{
  private readonly logger = new Logger(BreakGlassService.name);
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<number> | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly grants: BreakGlassRepository,
    private readonly users: UsersRepository,
    private readonly audit: AuditService,
    private readonly config: AppConfig,
  ) {
    super();
  }

  onModuleInit(): void {
    this.timer = setInterval(() => {
      void this.sweepExpired().catch((error: unknown) =>
        this.logger.warn({ err: error }, 'break-glass expiry sweep failed; retrying later'),
      );
    }, BREAK_GLASS_SWEEP_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.sweeping?.catch(() => undefined);
  }

  async activeGrantId(doctorId: string, patientId: string): Promise<string | null> {
    return (await this.grants.findActive(doctorId, patientId))?.id ?? null;
  }

  async activeGrantsOf(doctorId: string): Promise<Map<string, string>> {
    const grants = await this.grants.findActiveOfDoctor(doctorId);
    return new Map(grants.map((g) => [g.patientId, g.id]));
  }

  start(
    actor: AuthUser,
    body: StartBreakGlassRequest,
    meta: RequestMeta,
  ): Promise<BreakGlassResponse> {
    const max = this.config.patientData.breakGlassMaxMinutes;
    if (body.durationMinutes > max) throw BreakGlassErrors.tooLong(max);
    return this.dataSource.transaction(async (manager) => {
      const patient = await this.users.findById(body.patientId, manager);
      if (!patient || patient.role !== Role.Patient || patient.status !== UserStatus.Active) {
        throw BreakGlassErrors.patientNotFound();
      }
      if (await this.grants.findActive(actor.id, patient.id, manager)) {
        throw BreakGlassErrors.alreadyActive();
      }
      const grant = await this.grants.insert(
        { doctorId: actor.id, patientId: patient.id, reason: body.reason },
        body.durationMinutes,
        manager,
      );
      await this.audit.record(
        {
          action: AuditAction.BreakGlassStart,
          outcome: AuditOutcome.Success,
          actor: auditActor(actor, meta),
          resource: { type: 'break_glass', id: grant.id },
          subjectId: patient.id,
          requestId: meta.requestId,
          // The reason stays in the grant (it may describe the patient's condition).
          details: {
            durationMinutes: body.durationMinutes,
            expiresAt: grant.expiresAt.toISOString(),
          },
        },
        manager,
      );
      return toBreakGlassResponse(grant, new Date());
    });
  }

  async list(actor: AuthUser, query: ListBreakGlassQuery): Promise<BreakGlassListResponse> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    // Doctors see their own grants only, whatever they filter on.
    const doctorId = actor.role === Role.Doctor ? actor.id : query.doctorId;
    if (actor.role === Role.Doctor && query.doctorId && query.doctorId !== actor.id) {
      return { items: [], nextCursor: null };
    }
    const rows = await this.grants.search({
      doctorId,
      patientId: query.patientId,
      status: query.status,
      after: decodeCursor(query.cursor),
      limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    const now = new Date();
    const last = page[page.length - 1];
    return {
      items: page.map((g) => toBreakGlassResponse(g, now)),
      nextCursor: rows.length > limit ? encodeCursor({ at: last.startedAt, id: last.id }) : null,
    };
  }

  end(actor: AuthUser, id: string, meta: RequestMeta): Promise<BreakGlassResponse> {
    return this.dataSource.transaction(async (manager) => {
      const grant = await this.grants.findByIdForUpdate(id, manager);
      // A doctor ends their own grants; compliance officers and admins may end any.
      const mayEnd = grant !== null && (actor.role !== Role.Doctor || grant.doctorId === actor.id);
      if (!grant || !mayEnd) throw BreakGlassErrors.notFound();
      const now = new Date();
      if (statusOf(grant, now) !== BreakGlassStatus.Active) throw BreakGlassErrors.notActive();
      await this.grants.end(grant.id, actor.id, manager);
      await this.audit.record(
        {
          action: AuditAction.BreakGlassEnd,
          outcome: AuditOutcome.Success,
          actor: auditActor(actor, meta),
          resource: { type: 'break_glass', id: grant.id },
          subjectId: grant.patientId,
          requestId: meta.requestId,
          details: { doctorId: grant.doctorId },
        },
        manager,
      );
      const ended = (await this.grants.findById(grant.id, manager)) as BreakGlassGrantEntity;
      return toBreakGlassResponse(ended, now);
    });
  }

  // Records the expiry of every grant that ran out without being ended, once each (several
  // instances may sweep at the same time). Returns how many it recorded.
  sweepExpired(): Promise<number> {
    const run = this.sweepOnce();
    this.sweeping = run;
    return run;
  }

  private async sweepOnce(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.dataSource.transaction(async (manager) => {
        const expired = await this.grants.claimExpired(SWEEP_BATCH, manager);
        for (const grant of expired) {
          await this.audit.record(
            {
              action: AuditAction.BreakGlassExpire,
              outcome: AuditOutcome.Success,
              actor: { userId: null, role: 'system' },
              resource: { type: 'break_glass', id: grant.id },
              subjectId: grant.patientId,
              details: { doctorId: grant.doctorId, expiresAt: grant.expiresAt.toISOString() },
            },
            manager,
          );
        }
        return expired.length;
      });
      total += n;
      if (n < SWEEP_BATCH) return total;
    }
  }
}
