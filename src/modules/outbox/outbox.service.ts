import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { auditActor, type AuthUser } from '../../common/auth/auth-user';
import { decodeCursor, DEFAULT_PAGE_SIZE, encodeCursor } from '../../common/http/cursor';
import type { RequestMeta } from '../../common/http/request-meta';
import { AuditAction, AuditOutcome } from '../audit/audit-action';
import { AuditService } from '../audit/audit.service';
import type { ListOutboxQuery, OutboxListResponse, OutboxMessageEnvelope } from './dto/outbox.dto';
import { toOutboxMessageResponse } from './outbox.mapper';
import { OutboxErrors } from './outbox.errors';
import { OutboxStatus } from './outbox-message.entity';
import { OutboxRepository, type NewOutboxMessage } from './outbox.repository';

// The outbox as other modules and operators use it. Modules enqueue inside the transaction of
// the change that causes the message, so the message exists exactly when the change does;
// the relay (outbox-relay.ts) delivers it later.
@Injectable()
export class OutboxService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly repository: OutboxRepository,
    private readonly audit: AuditService,
  ) {}

  // Writes the message with the caller's transaction (`manager`). Returns its id, which is
  // also the idempotency key the receiver sees.
  enqueue(manager: EntityManager, message: NewOutboxMessage): Promise<string> {
    return this.repository.enqueue(message, manager);
  }

  // Withdraws pending messages of `kind` about one thing (payload `key` = `value`), with the
  // caller's transaction: e.g. the reminders of an appointment that moved.
  withdraw(manager: EntityManager, kind: string, key: string, value: string): Promise<number> {
    return this.repository.withdraw(kind, key, value, manager);
  }

  async list(
    actor: AuthUser,
    query: ListOutboxQuery,
    meta: RequestMeta,
  ): Promise<OutboxListResponse> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const rows = await this.repository.page({
      status: query.status,
      channel: query.channel,
      after: decodeCursor(query.cursor),
      limit,
    });
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    await this.audit.record({
      action: AuditAction.OutboxList,
      outcome: AuditOutcome.Success,
      actor: auditActor(actor, meta),
      resource: { type: 'outbox' },
      requestId: meta.requestId,
      details: { status: query.status ?? null, channel: query.channel ?? null, count: page.length },
    });
    return {
      items: page.map(toOutboxMessageResponse),
      nextCursor:
        rows.length > limit && last ? encodeCursor({ at: last.createdAt, id: last.id }) : null,
    };
  }

  // A dead letter is given a fresh set of attempts, due at once.
  async retry(actor: AuthUser, id: string, meta: RequestMeta): Promise<OutboxMessageEnvelope> {
    return this.dataSource.transaction(async (manager) => {
      const retried = await this.repository.retryDead(id, manager);
      if (!retried) {
        const exists = await this.repository.findById(id);
        throw exists && exists.status !== OutboxStatus.Dead
          ? OutboxErrors.notDead()
          : OutboxErrors.notFound();
      }
      await this.audit.record(
        {
          action: AuditAction.OutboxRetry,
          outcome: AuditOutcome.Success,
          actor: auditActor(actor, meta),
          resource: { type: 'outbox_message', id },
          requestId: meta.requestId,
          details: { channel: retried.channel, kind: retried.kind },
        },
        manager,
      );
      return { message: toOutboxMessageResponse(retried) };
    });
  }
}
