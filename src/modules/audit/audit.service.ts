import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditAction, AuditOutcome } from './audit-action';
import { chainHash, GENESIS_HASH, type AuditRecordBody } from './audit-chain';
import { AuditCheckpointer } from './audit-checkpointer';
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

// A refused request on a protected route (see recordAccessDenied).
export interface AccessDenial {
  status: 401 | 403 | 404;
  // The route pattern (e.g. `GET /api/v1/rooms/:id`), never the raw URL, whose query string
  // may carry personal data.
  route: string;
  actor: AuditActor;
  requestId?: string | null;
  // The id of the resource asked for, when the route names one.
  resourceId?: string | null;
  reason?: string;
}

// PostgreSQL text cannot hold NUL and stores lone surrogates as U+FFFD; clean both first so
// the hashed form is exactly what is stored and read back (a hostile user agent must not be
// able to make the record, and with it the action, fail).
// eslint-disable-next-line no-control-regex -- NUL is exactly what must be matched
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function storableText(value: string, maxChars: number): string {
  return Array.from(value.replace(UNSTORABLE, '\uFFFD')).slice(0, maxChars).join('');
}

function storableText0(value: string | null | undefined, maxChars: number): string | null {
  return value === null || value === undefined ? null : storableText(value, maxChars);
}

// Details as they come back from jsonb: JSON values only (a Date becomes its ISO string),
// strings cleaned like every other text.
function storableDetails(details: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(details), (_k, v: unknown) =>
    typeof v === 'string' ? storableText(v, Number.MAX_SAFE_INTEGER) : v,
  ) as Record<string, unknown>;
}

@Injectable()
export class AuditService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly repository: AuditRepository,
    private readonly checkpointer: AuditCheckpointer,
  ) {}

  // Records the event inside the caller's transaction when given its manager, so that the
  // business change and its audit record commit or fail together. Without a manager the
  // record gets a transaction of its own. Either way a failure to write is thrown: an action
  // whose record cannot be written must fail.
  async record(input: AuditEventInput, manager?: EntityManager): Promise<string> {
    if (manager) return this.append(input, manager);
    return this.dataSource.transaction((m) => this.append(input, m));
  }

  // Records a refused request on a protected resource (AuditDenialsInterceptor uses it for
  // 403/404 thrown by handlers; any other refusing code may). Awaited, so a denial that
  // cannot be recorded fails loudly.
  recordAccessDenied(denial: AccessDenial): Promise<string> {
    return this.record({
      action: AuditAction.AccessDenied,
      outcome: AuditOutcome.Denied,
      actor: denial.actor,
      resource: { type: 'route', id: denial.route.slice(0, 128) },
      requestId: denial.requestId,
      details: {
        status: denial.status,
        ...(denial.resourceId ? { resourceId: denial.resourceId } : {}),
        ...(denial.reason ? { reason: denial.reason } : {}),
      },
    });
  }

  private async append(input: AuditEventInput, manager: EntityManager): Promise<string> {
    await this.repository.lockChain(manager);
    const head = await this.repository.head(manager);
    const seq = head.seq !== null ? (BigInt(head.seq) + 1n).toString() : '1';
    const prevHash = head.hash ?? GENESIS_HASH;
    // The database's clock, read under the lock: never backwards along seq.
    const occurredAt = head.now;
    const body: AuditRecordBody = {
      seq,
      occurredAt: occurredAt.toISOString(),
      actor: {
        userId: input.actor.userId ?? null,
        role: storableText0(input.actor.role, 32),
        ip: storableText0(input.actor.ip, 64),
        userAgent: storableText0(input.actor.userAgent, 512),
      },
      action: input.action,
      outcome: input.outcome,
      resource: {
        type: storableText0(input.resource?.type, 64),
        id: storableText0(input.resource?.id, 128),
      },
      subjectId: input.subjectId ?? null,
      requestId: storableText0(input.requestId, 128),
      details: storableDetails(input.details ?? {}),
    };
    const hash = chainHash(prevHash, body);
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
      hash,
    });
    await this.repository.append(entity, manager);
    if (this.checkpointer.isDue(seq))
      await this.checkpointer.sign(manager, { seq, hash }, occurredAt);
    return seq;
  }
}
