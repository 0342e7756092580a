import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { AuditAction, AuditOutcome } from './audit-action';
import { chainHash, GENESIS_HASH, type AuditRecordBody } from './audit-chain';
import { AuditEventEntity } from './audit-event.entity';
import { AuditRepository } from './audit.repository';

export interface AuditActor {
  userId?: string | null;
  role?: string | null;
  ip?: string | null;
  userAgent?: string | null;
}

// What a module records. `details` must hold no secret, token, password, SDP, ICE payload
// or free-text PHI: ids, counts, reasons and codes only.
export interface AuditEventInput {
  action: AuditAction;
  outcome: AuditOutcome;
  actor: AuditActor;
  resource?: { type: string; id?: string | null };
  subjectId?: string | null;
  requestId?: string | null;
  details?: Record<string, unknown>;
}

@Injectable()
export class AuditService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly repository: AuditRepository,
  ) {}

  // Records the event inside the caller's transaction when given its manager, so that the
  // business change and its audit record commit or fail together. Without a manager the
  // record gets a transaction of its own. Either way a failure to write is thrown: an action
  // whose record cannot be written must fail.
  async record(input: AuditEventInput, manager?: EntityManager): Promise<string> {
    if (manager) return this.append(input, manager);
    return this.dataSource.transaction((m) => this.append(input, m));
  }

  private async append(input: AuditEventInput, manager: EntityManager): Promise<string> {
    await this.repository.lockChain(manager);
    const head = await this.repository.head(manager);
    const seq = head ? (BigInt(head.seq) + 1n).toString() : '1';
    const prevHash = head?.hash ?? GENESIS_HASH;
    const occurredAt = new Date();
    const body: AuditRecordBody = {
      seq,
      occurredAt: occurredAt.toISOString(),
      actor: {
        userId: input.actor.userId ?? null,
        role: input.actor.role ?? null,
        ip: input.actor.ip ?? null,
        userAgent: input.actor.userAgent?.slice(0, 512) ?? null,
      },
      action: input.action,
      outcome: input.outcome,
      resource: { type: input.resource?.type ?? null, id: input.resource?.id ?? null },
      subjectId: input.subjectId ?? null,
      requestId: input.requestId ?? null,
      details: input.details ?? {},
    };
    const entity = Object.assign(new AuditEventEntity(), {
      seq,
      occurredAt,
      actorUserId: body.actor.userId,
      actorRole: body.actor.role,
      actorIp: body.actor.ip,
      actorUserAgent: body.actor.userAgent,
      action: body.action,
      outcome: body.outcome,
      resourceType: body.resource.type,
      resourceId: body.resource.id,
      subjectId: body.subjectId,
      requestId: body.requestId,
      details: body.details,
      prevHash,
      hash: chainHash(prevHash, body),
    });
    await this.repository.append(entity, manager);
    return seq;
  }
}
