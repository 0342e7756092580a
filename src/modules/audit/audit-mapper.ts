import type { AuditRecordBody } from './chain/audit-chain';
import type { AuditCheckpointEntity } from './audit-checkpoint.entity';
import type { AuditEventEntity } from './audit-event.entity';
import type { ChainRecordItem, CheckpointItem } from './verification/audit-verifier';
import type { AuditEventRow } from './audit.repository';

export function toRecordBody(e: AuditEventEntity): AuditRecordBody {
  return {
    seq: e.seq,
    occurredAt: e.occurredAt.toISOString(),
    actor: {
      userId: e.actorUserId,
      role: e.actorRole,
      ip: e.actorIp,
      userAgent: e.actorUserAgent,
    },
    action: e.action,
    outcome: e.outcome,
    resource: { type: e.resourceType, id: e.resourceId },
    subjectId: e.subjectId,
    requestId: e.requestId,
    details: e.details,
  };
}

export function rowToChainRecord(r: AuditEventRow): ChainRecordItem {
  return {
    seq: r.seq,
    prevHash: r.prev_hash,
    hash: r.hash,
    body: {
      seq: r.seq,
      occurredAt: r.occurred_at.toISOString(),
      actor: {
        userId: r.actor_user_id,
        role: r.actor_role,
        ip: r.actor_ip,
        userAgent: r.actor_user_agent,
      },
      action: r.action,
      outcome: r.outcome,
      resource: { type: r.resource_type, id: r.resource_id },
      subjectId: r.subject_id,
      requestId: r.request_id,
      details: r.details,
    },
  };
}

export function toCheckpointItem(c: AuditCheckpointEntity): CheckpointItem {
  return {
    body: {
      seq: c.seq,
      hash: c.hash,
      createdAt: c.createdAt.toISOString(),
      keyId: c.keyId,
      prevSignature: c.prevSignature,
    },
    signature: c.signature,
  };
}
