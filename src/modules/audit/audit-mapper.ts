import type { AuditRecordBody } from './audit-chain';
import type { AuditCheckpointEntity } from './audit-checkpoint.entity';
import type { AuditEventEntity } from './audit-event.entity';
import type { ChainRecordItem, CheckpointItem } from './audit-verifier';

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

export function toChainRecord(e: AuditEventEntity): ChainRecordItem {
  return { seq: e.seq, prevHash: e.prevHash, hash: e.hash, body: toRecordBody(e) };
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
