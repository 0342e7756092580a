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

// JSON with object keys sorted at every depth and no insignificant whitespace.
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

// hash = SHA-256( prevHash || "\n" || canonicalJson(record) ), hex.
export function chainHash(prevHash: string, body: AuditRecordBody): string {
  return createHash('sha256')
    .update(`${prevHash}\n${canonicalJson(body)}`, 'utf8')
    .digest('hex');
}
