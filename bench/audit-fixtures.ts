import type { Client, PoolClient } from 'pg';
import {
  canonicalJson,
  chainHashOfCanonical,
  GENESIS_HASH,
  type AuditRecordBody,
} from '../src/modules/audit/chain/audit-chain';

// Appends `count` generated records with a valid chain straight into audit_events (1,000
// per statement), continuing from the current head, each with its canonical text as Hekim
// stores it. For load tests and benchmarks only.
export async function insertGeneratedChain(db: Client | PoolClient, count: number): Promise<void> {
  const head = await db.query<{ seq: string; hash: string }>(
    'SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1',
  );
  let seq = head.rows[0] ? BigInt(head.rows[0].seq) : 0n;
  let prev = head.rows[0]?.hash ?? GENESIS_HASH;
  const start = Date.now() - count;
  for (let done = 0; done < count;) {
    const n = Math.min(1000, count - done);
    const cols: unknown[][] = Array.from({ length: 11 }, () => []);
    for (let i = 0; i < n; i++) {
      seq++;
      const body: AuditRecordBody = {
        seq: seq.toString(),
        occurredAt: new Date(start + done + i).toISOString(),
        actor: {
          userId: '6f1c0b7e-8a55-4c1e-9a52-3f1f0f6e2d10',
          role: 'doctor',
          ip: '203.0.113.7',
          userAgent: 'Mozilla/5.0 (X11; Linux x86_64) bench',
        },
        action: 'auth.login',
        outcome: 'success',
        resource: { type: 'user', id: '6f1c0b7e-8a55-4c1e-9a52-3f1f0f6e2d10' },
        subjectId: null,
        requestId: `bench-${seq}`,
        details: { method: 'password', n: Number(seq) },
      };
      const canonical = canonicalJson(body);
      const hash = chainHashOfCanonical(prev, canonical);
      const values = [
        body.seq,
        body.occurredAt,
        body.actor.userId,
        body.actor.role,
        body.actor.ip,
        body.actor.userAgent,
        body.requestId,
        JSON.stringify(body.details),
        prev,
        hash,
        canonical,
      ];
      values.forEach((v, c) => cols[c].push(v));
      prev = hash;
    }
    await db.query(
      `INSERT INTO audit_events (seq, occurred_at, actor_user_id, actor_role, actor_ip, actor_user_agent,
         action, outcome, resource_type, resource_id, subject_id, request_id, details, prev_hash, hash,
         canonical)
       SELECT s, o, u, r, ip, ua, 'auth.login', 'success', 'user', u::text, NULL, req, d, p, h, c
         FROM unnest($1::bigint[], $2::timestamptz[], $3::uuid[], $4::text[], $5::text[], $6::text[],
                     $7::text[], $8::jsonb[], $9::text[], $10::text[], $11::text[])
           AS t(s, o, u, r, ip, ua, req, d, p, h, c)`,
      cols,
    );
    done += n;
  }
}
