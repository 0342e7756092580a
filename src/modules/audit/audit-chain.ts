import { createHash } from 'node:crypto';

export const GENESIS_HASH = '0'.repeat(64);

// The fields that are hashed, exactly as exported. docs/audit.md describes the canonical
// form so that an auditor can recompute the chain with standard tools.
export interface AuditRecordBody {
  seq: string;
  occurredAt: string;
  actor: {
    userId: string | null;
    role: string | null;
    ip: string | null;
    userAgent: string | null;
  };
  action: string;
  outcome: string;
  resource: { type: string | null; id: string | null };
  subjectId: string | null;
  requestId: string | null;
  details: Record<string, unknown>;
}

// What a checkpoint signs: the chain head at `seq` and the previous checkpoint's signature
// (empty for the first), so checkpoints form a signed chain of their own.
export interface CheckpointBody {
  seq: string;
  hash: string;
  createdAt: string;
  keyId: string;
  prevSignature: string;
}

// JSON with object keys sorted (by UTF-16 code units) at every depth and no insignificant
// whitespace; strings and numbers as ECMAScript's JSON.stringify writes them. This is the
// JSON Canonicalization Scheme of RFC 8785 for the values Hekim stores.
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

// hash = hex( SHA-256( prevHash || "\n" || canonicalJson(record) ) ), UTF-8.
export function chainHashOfCanonical(prevHash: string, canonical: string): string {
  return createHash('sha256').update(`${prevHash}\n${canonical}`, 'utf8').digest('hex');
}

export function chainHash(prevHash: string, body: AuditRecordBody): string {
  return chainHashOfCanonical(prevHash, canonicalJson(body));
}

// One exported record: canonical JSON itself (keys hash < prevHash < record), so the bytes
// an auditor hashes are a fixed-offset slice of the line (see docs/audit.md).
export function recordLine(body: AuditRecordBody, prevHash: string, hash: string): string {
  return canonicalJson({ hash, prevHash, record: body });
}

export function checkpointLine(body: CheckpointBody, signature: string): string {
  return canonicalJson({ checkpoint: body, signature });
}
