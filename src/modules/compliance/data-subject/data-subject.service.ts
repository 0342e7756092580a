import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { auditActor, type AuthUser } from '../../../common/auth/auth-user';
import { decodeCursor, DEFAULT_PAGE_SIZE, encodeCursor } from '../../../common/http/cursor';
import type { PageQuery } from '../../../common/pagination/page-query.dto';
import type { RequestMeta } from '../../../common/http/request-meta';
import { AuditAction, AuditOutcome } from '../../audit/audit-action';
import { AuditService } from '../../audit/audit.service';
import { PersonalDataRegistry } from '../../../common/personal-data/personal-data-registry';
import type { PersonalDataSubject } from '../../../common/personal-data/personal-data.contributor';
import { UserSessionsPort } from '../../users/ports/user-sessions.port';
import { UsersService } from '../../users/users.service';
import { DataSubjectErrors } from './data-subject.errors';
import { DataSubjectRepository } from './data-subject.repository';
import type {
  DataExportResponse,
  ErasureDecisionResponse,
  ErasureRequestListResponse,
  ErasureRequestResponse,
} from './dto/data-subject.dto';
import { type ErasureRequestEntity, ErasureStatus } from './erasure-request.entity';

// KVKK art. 13: a data controller answers a request within thirty days.
export const ERASURE_DUE_DAYS = 30;
export const ERASURE_METHOD = 'crypto_shred+anonymize';

export function toErasureResponse(r: ErasureRequestEntity): ErasureRequestResponse {
  return {
    id: r.id,
    type: 'erasure',
    userId: r.userId,
    status: r.status,
    requestedAt: r.requestedAt.toISOString(),
    dueAt: r.dueAt.toISOString(),
    decidedAt: r.decidedAt?.toISOString() ?? null,
    reason: r.reason,
  };
}

// Data-subject rights: the export of everything held about a person and erasure on request,
// both built on the personal-data registry (every module that holds data about a person
// answers for its own tables).
@Injectable()
export class DataSubjectService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly requests: DataSubjectRepository,
    private readonly registry: PersonalDataRegistry,
    private readonly sessions: UserSessionsPort,
    private readonly audit: AuditService,
    private readonly users: UsersService,
  ) {}

  async export(actor: AuthUser, meta: RequestMeta): Promise<DataExportResponse> {
    // One consistent snapshot across every section. The audit record is written afterwards in
    // a transaction of its own (an append must see the newest chain head, which a
    // repeatable-read snapshot would hide); the export is only returned once it is recorded.
    const sections = await this.dataSource.transaction('REPEATABLE READ', async (manager) => {
      const subject = await this.subject(actor.id, manager);
      const result: Record<string, unknown> = {};
      for (const contributor of this.registry.all()) {
        result[contributor.section] = await contributor.exportFor(subject, manager);
      }
      return result;
    });
    await this.audit.record({
      action: AuditAction.DataSubjectExport,
      outcome: AuditOutcome.Success,
      actor: auditActor(actor, meta),
      resource: { type: 'user', id: actor.id },
      subjectId: actor.id,
      requestId: meta.requestId,
      details: { sections: Object.keys(sections).sort() },
    });
    return { generatedAt: new Date().toISOString(), userId: actor.id, sections };
  }

  requestErasure(actor: AuthUser, meta: RequestMeta): Promise<ErasureRequestResponse> {
    return this.dataSource.transaction(async (manager) => {
      const existing = await this.requests.findOpenForUser(actor.id, manager);
      // Asking again while a request is open answers with that request.
      if (existing) return toErasureResponse(existing);
      const request = await this.requests.insertOpen(actor.id, ERASURE_DUE_DAYS, manager);
      await this.audit.record(
        {
          action: AuditAction.ErasureRequest,
          outcome: AuditOutcome.Success,
          actor: auditActor(actor, meta),
          resource: { type: 'erasure_request', id: request.id },
          subjectId: actor.id,
          requestId: meta.requestId,
          details: { dueAt: request.dueAt.toISOString() },
        },
        manager,
      );
      return toErasureResponse(request);
    });
  }

  async listOpen(query: PageQuery): Promise<ErasureRequestListResponse> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const rows = await this.requests.listOpen(decodeCursor(query.cursor), limit + 1);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map(toErasureResponse),
      nextCursor: rows.length > limit ? encodeCursor({ at: last.dueAt, id: last.id }) : null,
    };
  }

  // Approval anonymizes the person in one transaction: sessions revoked, every contributor's
  // data erased (the profile by crypto-shredding), a destruction record and an audit record.
  async approve(actor: AuthUser, id: string, meta: RequestMeta): Promise<ErasureDecisionResponse> {
    const { response, revoked, userId } = await this.dataSource.transaction(async (manager) => {
      const request = await this.openRequest(id, manager);
      const userId = request.userId;
      const revokedIds = await this.sessions.revokeAllForUser(userId, 'user_deactivated', manager);
      const destroyed: Record<string, number> = { sessionsRevoked: revokedIds.length };
      const subject = await this.subject(userId, manager);
      // The account itself goes last: a section may still look the person up by it.
      const contributors = [...this.registry.all()].sort(
        (a, b) => Number(a.section === 'user') - Number(b.section === 'user'),
      );
      for (const contributor of contributors) {
        destroyed[contributor.section] = await contributor.eraseFor(subject, manager);
      }
      const decided = await this.requests.decide(
        request.id,
        { status: ErasureStatus.Erased, decidedById: actor.id, reason: null },
        manager,
      );
      const record = await this.requests.insertDestructionRecord(
        {
          requestId: request.id,
          subjectId: userId,
          performedById: actor.id,
          method: ERASURE_METHOD,
          destroyed,
        },
        manager,
      );
      await this.audit.record(
        {
          action: AuditAction.ErasureApprove,
          outcome: AuditOutcome.Success,
          actor: auditActor(actor, meta),
          resource: { type: 'erasure_request', id: request.id },
          subjectId: userId,
          requestId: meta.requestId,
          details: { destructionRecordId: record.id, method: ERASURE_METHOD, destroyed },
        },
        manager,
      );
      return {
        response: { ...toErasureResponse(decided), destroyed, destructionRecordId: record.id },
        revoked: revokedIds,
        userId,
      };
    });
    // Access tokens of the revoked sessions stop working on every instance.
    await this.sessions.propagate(revoked, userId);
    return response;
  }

  reject(
    actor: AuthUser,
    id: string,
    reason: string,
    meta: RequestMeta,
  ): Promise<ErasureDecisionResponse> {
    return this.dataSource.transaction(async (manager) => {
      const request = await this.openRequest(id, manager);
      const decided = await this.requests.decide(
        request.id,
        { status: ErasureStatus.Rejected, decidedById: actor.id, reason },
        manager,
      );
      await this.audit.record(
        {
          action: AuditAction.ErasureReject,
          outcome: AuditOutcome.Success,
          actor: auditActor(actor, meta),
          resource: { type: 'erasure_request', id: request.id },
          subjectId: request.userId,
          requestId: meta.requestId,
          // The reason is in the request (shown to the person); the trail keeps no free text.
          details: { reasonLength: reason.length },
        },
        manager,
      );
      return { ...toErasureResponse(decided), destroyed: null, destructionRecordId: null };
    });
  }

  private async openRequest(id: string, manager: EntityManager): Promise<ErasureRequestEntity> {
    const request = await this.requests.findByIdForUpdate(id, manager);
    if (!request) throw DataSubjectErrors.notFound();
    if (request.status !== ErasureStatus.Open) throw DataSubjectErrors.notOpen();
    return request;
  }

  // Resolved before any contributor runs, so that the account's erasure (last) cannot hide
  // the address other sections find the person's rows by.
  private async subject(userId: string, manager: EntityManager): Promise<PersonalDataSubject> {
    const subject = await this.users.personalDataSubject(userId, manager);
    if (!subject) throw DataSubjectErrors.subjectGone();
    return subject;
  }
}
