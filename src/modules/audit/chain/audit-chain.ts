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
  const object = value as Record<string, unknown>;
  // The default sort compares UTF-16 code units.
  const keys = Object.keys(object).sort();
  let out = '';
  for (const key of keys) {
    const v = object[key];
    if (v === undefined) continue;
    out += `${out === '' ? '' : ','}${JSON.stringify(key)}:${canonicalJson(v)}`;
  }
  return `{${out}}`;
}

// canonicalJson of a record whose seq and occurredAt are not known yet, as the text before
// the occurredAt value, between it and the seq value, and after it: the keys sort as
// action < actor < details < occurredAt < outcome < requestId < resource < seq < subjectId,
// so `before + occurredAt + between + seq + after` is canonicalJson of the whole record (the
// single-record append lets PostgreSQL fill them in under the chain lock).
// Written out with the keys in their canonical order, as recordLine is (once per record
// appended; audit-chain.spec.ts checks it against the general form).
export function canonicalAround(
  body: Omit<AuditRecordBody, 'seq' | 'occurredAt'>,
): [before: string, between: string, after: string] {
  const s = JSON.stringify;
  const { actor, resource } = body;
  return [
    `{"action":${s(body.action)}` +
      `,"actor":{"ip":${s(actor.ip)},"role":${s(actor.role)},"userAgent":${s(actor.userAgent)}` +
      `,"userId":${s(actor.userId)}},"details":${canonicalJson(body.details)},"occurredAt":"`,
    `","outcome":${s(body.outcome)},"requestId":${s(body.requestId)}` +
      `,"resource":{"id":${s(resource.id)},"type":${s(resource.type)}},"seq":"`,
    `","subjectId":${s(body.subjectId)}}`,
  ];
}

// hash = hex( SHA-256( prevHash || "\n" || canonicalJson(record) ) ), UTF-8.
export function chainHashOfCanonical(prevHash: string, canonical: string): string {
  return createHash('sha256').update(`${prevHash}\n${canonical}`, 'utf8').digest('hex');
}

export function chainHash(prevHash: string, body: AuditRecordBody): string {
  return chainHashOfCanonical(prevHash, canonicalJson(body));
}

// One exported record: canonical JSON itself (keys hash < prevHash < record), so the bytes
// an auditor hashes are a fixed-offset slice of the line (see docs/audit.md). Written out with
// the keys in their canonical order, which is the same text as canonicalJson of the object
// (audit-chain.spec.ts checks that) at a fraction of the cost, once per exported record.
export function recordLine(body: AuditRecordBody, prevHash: string, hash: string): string {
  const s = JSON.stringify;
  const { actor, resource } = body;
  return (
    `${recordLineHead(hash, prevHash)}{"action":${s(body.action)}` +
    `,"actor":{"ip":${s(actor.ip)},"role":${s(actor.role)},"userAgent":${s(actor.userAgent)}` +
    `,"userId":${s(actor.userId)}},"details":${canonicalJson(body.details)}` +
    `,"occurredAt":${s(body.occurredAt)},"outcome":${s(body.outcome)}` +
    `,"requestId":${s(body.requestId)},"resource":{"id":${s(resource.id)},"type":${s(resource.type)}}` +
    `,"seq":${s(body.seq)},"subjectId":${s(body.subjectId)}}}`
  );
}

// The start of an exported record's line, up to its record: also where the NDJSON export
// writes lines around stored canonical text (audit-line-copy.ts).
export function recordLineHead(hash: string, prevHash: string): string {
  return `{"hash":${JSON.stringify(hash)},"prevHash":${JSON.stringify(prevHash)},"record":`;
}

export function checkpointLine(body: CheckpointBody, signature: string): string {
  return canonicalJson({ checkpoint: body, signature });
}
