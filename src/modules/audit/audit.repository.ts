// Over 400 lines on purpose: every statement that touches the audit tables (append under the
// chain-head lock, reads, the export's keyset pages, checkpoints) lives here, so the chain's
// rules are read in one file (docs/audit.md).
import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Pool, type PoolClient } from 'pg';
import { type EntityManager, QueryFailedError, Repository } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { transactionClient } from '../../infra/database/behind-lock';
import type { Prepared } from '../../infra/database/prepared';
import { AuditCheckpointEntity } from './audit-checkpoint.entity';
import { AuditEventEntity } from './audit-event.entity';
import { RecordLinesCopy } from './export/audit-line-copy';

// A patient record read, for the access report and the bulk-read alarm.
export const RECORD_READ_ACTIONS = ['user.read', 'patient_profile.read', 'break_glass.access'];

export interface AccessRecordRow {
  seq: string;
  occurredAt: Date;
  actorId: string | null;
  actorRole: string | null;
  action: string;
  subjectId: string | null;
  resourceType: string | null;
  resourceId: string | null;
  details: Record<string, unknown>;
}

export interface AlarmCandidateRow {
  seq: string;
  occurredAt: Date;
  actorId: string | null;
  actorRole: string | null;
  action: string;
  outcome: string;
  subjectId: string | null;
  resourceId: string | null;
  details: Record<string, unknown>;
}

// The person's own sign-ins and their own look at this report are left out.
// $1 person id, $2 '["<person id>"]', $3 after seq, $4 from, $5 to, $6 limit. Each arm of the
// OR has an index of its own (the plan is a BitmapOr; test/compliance/access-report).
export const ABOUT_PERSON_SQL = `
  SELECT e.seq, e.occurred_at AS "occurredAt", e.actor_user_id AS "actorId",
         e.actor_role AS "actorRole", e.action, e.subject_id AS "subjectId",
         e.resource_type AS "resourceType", e.resource_id AS "resourceId", e.details
    FROM audit_events e
   WHERE e.seq > $3::bigint
     AND e.outcome = 'success'
     AND ($4::timestamptz IS NULL OR e.occurred_at >= $4)
     AND ($5::timestamptz IS NULL OR e.occurred_at <= $5)
     AND NOT (e.actor_user_id = $1::uuid
              AND (e.action LIKE 'auth.%' OR e.action = 'compliance.access_report'))
     AND (e.subject_id = $1::uuid
          OR (e.details ? 'subjectIds' AND (e.details -> 'subjectIds') @> $2::jsonb)
          OR (e.action = 'audit.export' AND EXISTS (
                SELECT 1 FROM audit_events s
                 WHERE s.subject_id = $1::uuid
                   AND s.seq BETWEEN (e.details ->> 'fromSeq')::bigint AND (e.details ->> 'toSeq')::bigint)))
   ORDER BY e.seq
   LIMIT $6`;

// Appends to the chain are serialised across every instance sharing the database by the
// row lock on audit_chain_head (migration AddAuditChainHead), held until the surrounding
// transaction ends, so the business change and its record commit together. FOR UPDATE
// returns the row as the previous holder committed it (its trigger moved the head), so the
// head is read in the locking statement itself. occurredAt is the later of the database's
// clock and the head's time, so it never goes backwards along seq whichever instance writes,
// even if the clock is stepped back.
const LOCK_AND_HEAD: Prepared = {
  name: 'hekim_audit_lock_head',
  text: `SELECT seq, hash,
    GREATEST(occurred_at, date_trunc('milliseconds', clock_timestamp())) AS now
  FROM audit_chain_head WHERE id = 1 FOR UPDATE`,
};

// One record in one round trip, the common case (a record in its request's transaction): the
// lock, the head, the time, the canonical text ($1..$3 around occurredAt and seq, see
// canonicalAround) and its hash, SHA-256(prevHash || "\n" || canonical) as audit-chain.ts
// computes it, all in the inserting statement. Prepared once per connection: planning this
// statement costs more than running it.
const APPEND_ONE: Prepared = {
  name: 'hekim_audit_append_one',
  // The head is outer-joined so that, without its row, the INSERT fails on the NOT NULL seq
  // (and aborts the transaction) instead of inserting nothing: a record sent behind the
  // business change with its COMMIT (AuditService) must never let the change commit alone.
  text: `WITH h AS (
      SELECT seq + 1 AS seq, hash AS prev_hash,
             GREATEST(occurred_at, date_trunc('milliseconds', clock_timestamp())) AS at
        FROM audit_chain_head WHERE id = 1 FOR UPDATE
    ), c AS (
      SELECT h.*, $1::text || to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
                  || $2::text || seq::text || $3::text AS canonical
        FROM (SELECT 1) AS one LEFT JOIN h ON true
    )
    INSERT INTO audit_events (seq, occurred_at, actor_user_id, actor_role, actor_ip,
      actor_user_agent, action, outcome, resource_type, resource_id, subject_id, request_id,
      details, prev_hash, hash, canonical)
    SELECT c.seq, c.at, $4::uuid, $5::text, $6::text, $7::text, $8::text, $9::text, $10::text,
           $11::text, $12::uuid, $13::text, $14::jsonb, c.prev_hash,
           encode(sha256(convert_to(c.prev_hash || E'\\n' || c.canonical, 'UTF8')), 'hex'),
           c.canonical
      FROM c
    RETURNING seq, hash, occurred_at AS "occurredAt"`,
};

// Several records in one statement, for a transaction that writes more than one (a batch of
// webhook attempts, a group commit): the lock, the head and the time are taken once, and a
// recursive query chains the records in the order given, each hashed exactly as APPEND_ONE
// hashes one (same canonical text around occurredAt and seq, same formula), so the chain is the
// one that many APPEND_ONEs would have written, with one lock, one insert and one run of the
// head trigger instead of one per record. All share the time read under the lock. The records
// come as one array per column ($1..$3 the canonical text around occurredAt and seq); the head
// is outer-joined as in APPEND_ONE, so that without its row the INSERT fails on the NOT NULL seq.
const APPEND_MANY: Prepared = {
  name: 'hekim_audit_append_many',
  text: `WITH RECURSIVE h AS (
      SELECT seq, hash,
             GREATEST(occurred_at, date_trunc('milliseconds', clock_timestamp())) AS at
        FROM audit_chain_head WHERE id = 1 FOR UPDATE
    ), head AS (
      SELECT h.seq, h.hash, h.at,
             to_char(h.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at_text
        FROM (SELECT 1) AS one LEFT JOIN h ON true
    ), chain (n, seq, prev_hash, canonical, hash) AS (
      SELECT 0::bigint, head.seq, NULL::text, NULL::text, head.hash FROM head
      UNION ALL
      SELECT c.n + 1, c.seq + 1, c.hash, x.canonical,
             encode(sha256(convert_to(c.hash || E'\\n' || x.canonical, 'UTF8')), 'hex')
        FROM chain c CROSS JOIN head
        CROSS JOIN LATERAL (
          SELECT ($1::text[])[c.n + 1] || head.at_text || ($2::text[])[c.n + 1]
                 || (c.seq + 1)::text || ($3::text[])[c.n + 1] AS canonical
        ) x
       WHERE c.n < cardinality($1::text[])
    )
    INSERT INTO audit_events (seq, occurred_at, actor_user_id, actor_role, actor_ip,
      actor_user_agent, action, outcome, resource_type, resource_id, subject_id, request_id,
      details, prev_hash, hash, canonical)
    SELECT c.seq, head.at, r.actor_user_id, r.actor_role, r.actor_ip, r.actor_user_agent,
           r.action, r.outcome, r.resource_type, r.resource_id, r.subject_id, r.request_id,
           r.details::jsonb, c.prev_hash, c.hash, c.canonical
      FROM chain c
      JOIN unnest($4::uuid[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
                  $10::text[], $11::text[], $12::uuid[], $13::text[], $14::text[])
           WITH ORDINALITY AS r(actor_user_id, actor_role, actor_ip, actor_user_agent, action,
                                outcome, resource_type, resource_id, subject_id, request_id,
                                details, n)
        ON r.n = c.n
      CROSS JOIN head
     ORDER BY c.n
    RETURNING seq, hash, occurred_at AS "occurredAt"`,
};

// A COPY of the NDJSON export's lines may run as long as the client takes to read them (the
// database waits while the client is slow), so it gets more than the pool's statement timeout.
export const LINE_COPY_TIMEOUT = '10min';

// COPY streams cannot run on the pool's pipelined connections (node-postgres refuses them), so
// the export's COPYs have a pool of their own: up to four at a time per instance (two exports
// streaming, each with the next segment started ahead); a fifth waits up to a minute. Named
// apart in pg_stat_activity.
const COPY_POOL = {
  max: 4,
  connectionTimeoutMillis: 60_000,
  application_name: 'hekim-export',
  pipeline: false,
};

// The three stored texts of each record in (afterSeq, toSeq] that an NDJSON line is made of
// (RecordLineAssembler), in binary COPY: PostgreSQL sends them as they are, length-prefixed,
// with no escaping or per-row text to build. COPY takes no parameters: the bounds are
// integers rendered by BigInt.
function lineCopySql(afterSeq: string, toSeq: string): string {
  return `COPY (SELECT hash, prev_hash, canonical
           FROM audit_events WHERE seq > ${BigInt(afterSeq)} AND seq <= ${BigInt(toSeq)}
          ORDER BY seq ASC)
    TO STDOUT WITH (FORMAT binary)`;
}

// The head as the lock returns it: seq 0 and the genesis hash before the first record.
export interface LockedHead {
  seq: string;
  hash: string;
  now: Date;
}

// A record to append whose seq and time are assigned by the database (appendOne).
export interface AuditUnplacedRow extends AuditRecordColumns {
  canonicalAround: [before: string, between: string, after: string];
}

export interface AppendedRecord {
  seq: string;
  hash: string;
  occurredAt: Date;
}

// A record's columns other than its place in the chain.
export interface AuditRecordColumns {
  actorUserId: string | null;
  actorRole: string | null;
  actorIp: string | null;
  actorUserAgent: string | null;
  action: string;
  outcome: string;
  resourceType: string | null;
  resourceId: string | null;
  subjectId: string | null;
  requestId: string | null;
  details: Record<string, unknown>;
}

// A row of audit_events as the driver returns it (bigint as a string, jsonb parsed).
export interface AuditEventRow {
  seq: string;
  occurred_at: Date;
  actor_user_id: string | null;
  actor_role: string | null;
  actor_ip: string | null;
  actor_user_agent: string | null;
  action: string;
  outcome: string;
  resource_type: string | null;
  resource_id: string | null;
  subject_id: string | null;
  request_id: string | null;
  details: Record<string, unknown>;
  prev_hash: string;
  hash: string;
  canonical: string | null;
}

// A record's export line in parts, as findChainLinePage reads it (tail null: render it from
// the row instead).
export interface AuditLineRow {
  seq: string;
  head: string;
  details: string;
  tail: string | null;
}

export interface AuditEventFilter {
  from?: Date;
  to?: Date;
  actorId?: string;
  subjectId?: string;
  action?: string;
  outcome?: string;
}

// Without the head row nothing can be appended (it is created by the migration and never
// deleted by Hekim): fail with the cause rather than an empty result.
function missingHeadError(): Error {
  return new Error(
    'audit_chain_head has no row: the audit chain cannot be appended to (docs/audit.md, "The chain head")',
  );
}

// A prepared statement with the values of one run.
type PreparedRun = Prepared & { values: unknown[] };

function appendOneQuery(row: AuditUnplacedRow): PreparedRun {
  return {
    ...APPEND_ONE,
    values: [
      ...row.canonicalAround,
      row.actorUserId,
      row.actorRole,
      row.actorIp,
      row.actorUserAgent,
      row.action,
      row.outcome,
      row.resourceType,
      row.resourceId,
      row.subjectId,
      row.requestId,
      JSON.stringify(row.details),
    ],
  };
}

function appendManyQuery(rows: AuditUnplacedRow[]): PreparedRun {
  const column = <T>(of: (row: AuditUnplacedRow) => T): T[] => rows.map(of);
  return {
    ...APPEND_MANY,
    values: [
      column((r) => r.canonicalAround[0]),
      column((r) => r.canonicalAround[1]),
      column((r) => r.canonicalAround[2]),
      column((r) => r.actorUserId),
      column((r) => r.actorRole),
      column((r) => r.actorIp),
      column((r) => r.actorUserAgent),
      column((r) => r.action),
      column((r) => r.outcome),
      column((r) => r.resourceType),
      column((r) => r.resourceId),
      column((r) => r.subjectId),
      column((r) => r.requestId),
      column((r) => JSON.stringify(r.details)),
    ],
  };
}

// The statement that appends these rows: APPEND_ONE for one (the common case, whose plan is
// the simpler), APPEND_MANY for more.
function appendQuery(rows: AuditUnplacedRow[]): PreparedRun {
  return rows.length === 1 ? appendOneQuery(rows[0]) : appendManyQuery(rows);
}

// RETURNING does not promise the order of the rows: put them back in chain order.
const inSeqOrder = (records: AppendedRecord[]): AppendedRecord[] =>
  records.sort((a, b) => (BigInt(a.seq) < BigInt(b.seq) ? -1 : 1));

// Appends hold the chain lock until the transaction ends, so they never run outside one.
const APPENDING = 'appending to the audit chain';

// A chain statement on the transaction's connection, its error as TypeORM's. APPEND_ONE
// without the head row fails on the NOT NULL seq: say why. The query is sent before the first
// await, so statements started one after the other go out in that order.
async function queryOn<R extends object>(client: PoolClient, query: PreparedRun): Promise<R[]> {
  try {
    return (await client.query<R>(query)).rows;
  } catch (e) {
    const { code, table, column } = e as { code?: string; table?: string; column?: string };
    if (code === '23502' && table === 'audit_events' && column === 'seq') throw missingHeadError();
    throw new QueryFailedError(query.text, query.values, e as Error);
  }
}

// Reads and appends only: there is deliberately no method that changes or deletes a record
// or a checkpoint (docs/audit.md, retention).
@Injectable()
export class AuditRepository implements OnModuleDestroy {
  private readonly logger = new Logger(AuditRepository.name);
  private copies: Pool | undefined;

  constructor(
    @InjectRepository(AuditEventEntity) private readonly events: Repository<AuditEventEntity>,
    @InjectRepository(AuditCheckpointEntity)
    private readonly checkpoints: Repository<AuditCheckpointEntity>,
  ) {}

  // Takes the chain lock, held until the manager's transaction ends, and reads the head.
  async lockChainAndReadHead(manager: EntityManager): Promise<LockedHead> {
    const rows = await this.preparedQuery<LockedHead>(manager, { ...LOCK_AND_HEAD, values: [] });
    if (rows.length === 0) throw missingHeadError();
    return rows[0];
  }

  // Appends the rows (at least one), in this order, at the head of the chain in one statement
  // (APPEND_ONE for one row, APPEND_MANY for more); resolves with them in chain order.
  async appendMany(rows: AuditUnplacedRow[], manager: EntityManager): Promise<AppendedRecord[]> {
    return inSeqOrder(await this.preparedQuery<AppendedRecord>(manager, appendQuery(rows)));
  }

  // Sends the rows' append statement (one, as appendMany; at least one row) on the
  // transaction's connection without waiting for its answer, so that what the caller sends next
  // (its COMMIT) travels in the same round trip: the pool's connections are pipelined
  // (typeorm-options.ts), and a connection's statements of one tick go out in one write
  // (GuardedClient there), so both reach PostgreSQL together. Resolves once it is sent, with the
  // answers to come (in chain order); call it only when nothing else runs on the connection.
  async sendAppends(
    rows: AuditUnplacedRow[],
    manager: EntityManager,
  ): Promise<{ answers: Promise<AppendedRecord[]> }> {
    const client = await transactionClient(manager, APPENDING);
    const answers = queryOn<AppendedRecord>(client, appendQuery(rows)).then(inSeqOrder);
    return { answers };
  }

  // A named (per-connection prepared) statement on the transaction's connection; only inside
  // a transaction, outside one the chain lock would be released at once.
  private async preparedQuery<R extends object>(
    manager: EntityManager,
    query: PreparedRun,
  ): Promise<R[]> {
    return queryOn<R>(await transactionClient(manager, APPENDING), query);
  }

  // Every record where the person is the actor or the subject, in chain order (data export).
  findInvolving(userId: string, manager: EntityManager): Promise<AuditEventEntity[]> {
    return manager.getRepository(AuditEventEntity).find({
      where: [{ actorUserId: userId }, { subjectId: userId }],
      order: { seq: 'ASC' },
    });
  }

  lastCheckpoint(manager: EntityManager): Promise<AuditCheckpointEntity | null> {
    return manager
      .getRepository(AuditCheckpointEntity)
      .createQueryBuilder('c')
      .orderBy('c.seq', 'DESC')
      .limit(1)
      .getOne();
  }

  async appendCheckpoint(checkpoint: AuditCheckpointEntity, manager: EntityManager): Promise<void> {
    await manager.getRepository(AuditCheckpointEntity).insert(checkpoint);
  }

  // Checkpoints with fromSeq <= seq (<= toSeq when given), in chain order.
  findCheckpointsInRange(fromSeq: string, toSeq: string | null): Promise<AuditCheckpointEntity[]> {
    const q = this.checkpoints
      .createQueryBuilder('c')
      .where('c.seq >= :fromSeq', { fromSeq })
      .orderBy('c.seq', 'ASC');
    if (toSeq !== null) q.andWhere('c.seq <= :toSeq', { toSeq });
    return q.getMany();
  }

  findFirstCheckpointFrom(seq: string): Promise<AuditCheckpointEntity | null> {
    return this.checkpoints
      .createQueryBuilder('c')
      .where('c.seq >= :seq', { seq })
      .orderBy('c.seq', 'ASC')
      .limit(1)
      .getOne();
  }

  // The first and last seq recorded within [from, to]; occurredAt grows with seq.
  async findSeqBounds(from?: Date, to?: Date): Promise<{ first: string; last: string } | null> {
    const rows = await this.events.query<{ first: string | null; last: string | null }[]>(
      `SELECT min(seq) AS first, max(seq) AS last FROM audit_events
        WHERE ($1::timestamptz IS NULL OR occurred_at >= $1)
          AND ($2::timestamptz IS NULL OR occurred_at <= $2)`,
      [from ?? null, to ?? null],
    );
    const { first, last } = rows[0];
    return first !== null && last !== null ? { first, last } : null;
  }

  // The seq after the last record when a checkpoint lies beyond it (the tail was removed),
  // read in one statement so that concurrent appends cannot fake a gap.
  async findTailGap(): Promise<string | null> {
    const rows = await this.events.query<{ gap: string | null }[]>(
      `SELECT CASE WHEN c.seq > e.seq THEN (e.seq + 1)::text END AS gap
         FROM (SELECT coalesce(max(seq), 0) AS seq FROM audit_events) e,
              (SELECT coalesce(max(seq), 0) AS seq FROM audit_checkpoints) c`,
    );
    return rows[0].gap;
  }

  // One keyset page of the chain: seq in (afterSeq, toSeq], ascending, as plain rows (no
  // entity hydration: the export reads millions of them).
  findChainPage(afterSeq: string, toSeq: string, limit: number): Promise<AuditEventRow[]> {
    return this.events.query<AuditEventRow[]>(
      `SELECT seq, occurred_at, actor_user_id, actor_role, actor_ip, actor_user_agent, action,
              outcome, resource_type, resource_id, subject_id, request_id, details, prev_hash, hash,
              canonical
         FROM audit_events WHERE seq > $1 AND seq <= $2 ORDER BY seq ASC LIMIT $3`,
      [afterSeq, toSeq, limit],
    );
  }

  // The seq ending the keyset page of `limit` records after afterSeq (up to toSeq), or null
  // when fewer remain: an index-only read, so that the next page can be asked for before this
  // one has arrived.
  async findChainPageEnd(afterSeq: string, toSeq: string, limit: number): Promise<string | null> {
    const rows = await this.events.query<{ seq: string }[]>(
      `SELECT seq FROM audit_events WHERE seq > $1 AND seq <= $2 ORDER BY seq ASC
        OFFSET $3 - 1 LIMIT 1`,
      [afterSeq, toSeq, limit],
    );
    return rows.length > 0 ? rows[0].seq : null;
  }

  // The same keyset page as findChainPage, with each record's NDJSON line (recordLine) written
  // by the database around its details: `head` is the text before the details value, `details`
  // the stored jsonb as text (canonicalised by the caller, as the hash was), `tail` the text
  // after it, newline included. Strings go through to_json, which escapes exactly the
  // characters JSON.stringify escapes (text in PostgreSQL holds no NUL and no lone surrogate);
  // uuids and seq are written as they are (hex digits, dashes and digits need no escape);
  // occurredAt is Date#toISOString's form of the instant truncated to the millisecond, which
  // is what the driver's parse gives. `tail` is null outside years 1000–9998, where
  // toISOString's form differs: such a record is read and rendered by the generic path.
  // test/audit/audit-export-lines.e2e-spec.ts holds the two paths to the same bytes.
  findChainLinePage(afterSeq: string, toSeq: string, limit: number): Promise<AuditLineRow[]> {
    return this.events.query<AuditLineRow[]>(
      `SELECT seq,
              '{"hash":' || to_json(hash)::text || ',"prevHash":' || to_json(prev_hash)::text
                || ',"record":{"action":' || to_json(action)::text
                || ',"actor":{"ip":' || coalesce(to_json(actor_ip)::text, 'null')
                || ',"role":' || coalesce(to_json(actor_role)::text, 'null')
                || ',"userAgent":' || coalesce(to_json(actor_user_agent)::text, 'null')
                || ',"userId":' || coalesce('"' || actor_user_id::text || '"', 'null')
                || '},"details":' AS head,
              details::text AS details,
              CASE WHEN occurred_at >= '1000-01-01T00:00:00Z' AND occurred_at < '9999-01-01T00:00:00Z'
                THEN ',"occurredAt":"'
                  || to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
                  || '","outcome":' || to_json(outcome)::text
                  || ',"requestId":' || coalesce(to_json(request_id)::text, 'null')
                  || ',"resource":{"id":' || coalesce(to_json(resource_id)::text, 'null')
                  || ',"type":' || coalesce(to_json(resource_type)::text, 'null')
                  || '},"seq":"' || seq::text
                  || '","subjectId":' || coalesce('"' || subject_id::text || '"', 'null')
                  || E'}}\n'
              END AS tail
         FROM audit_events WHERE seq > $1 AND seq <= $2 ORDER BY seq ASC LIMIT $3`,
      [afterSeq, toSeq, limit],
    );
  }

  // The first and last record in [fromSeq, toSeq] written without its canonical text (before
  // it was stored), from the partial index that holds only those.
  async findWithoutCanonical(
    fromSeq: string,
    toSeq: string,
  ): Promise<{ first: string; last: string } | null> {
    const rows = await this.events.query<{ first: string | null; last: string | null }[]>(
      `SELECT min(seq) AS first, max(seq) AS last FROM audit_events
        WHERE canonical IS NULL AND seq >= $1 AND seq <= $2`,
      [fromSeq, toSeq],
    );
    const { first, last } = rows[0];
    return first !== null && last !== null ? { first, last } : null;
  }

  // The NDJSON lines of (afterSeq, toSeq], assembled from the binary COPY of lineCopySql
  // (RecordLinesCopy), in chunks of whole lines. Every record of the range must hold its canonical
  // text (see findWithoutCanonical). The COPY runs on a connection of its own, in a read-only
  // transaction with LINE_COPY_TIMEOUT; a connection left mid-COPY (the reader stopped, or an
  // error) is closed rather than returned to the pool.
  async *copyLines(afterSeq: string, toSeq: string): AsyncGenerator<Buffer> {
    const client = await this.copyPool().connect();
    let clean = false;
    try {
      await client.query(`BEGIN READ ONLY; SET LOCAL statement_timeout = '${LINE_COPY_TIMEOUT}'`);
      const copy = client.query(new RecordLinesCopy(lineCopySql(afterSeq, toSeq)));
      for await (const lines of copy as AsyncIterable<Buffer>) yield lines;
      await client.query('COMMIT');
      clean = true;
    } finally {
      client.release(!clean);
    }
  }

  // The main pool's settings, without pipelining (see COPY_POOL).
  private copyPool(): Pool {
    if (this.copies === undefined) {
      const main = (this.events.manager.connection.driver as PostgresDriver).master as Pool;
      this.copies = new Pool({ ...main.options, ...COPY_POOL });
      // An idle connection the server closes (a restart, a terminated backend) is dropped by
      // the pool; without a listener its error would end the process.
      this.copies.on('error', (e) =>
        this.logger.warn({ err: e }, 'an idle export connection failed; the pool drops it'),
      );
    }
    return this.copies;
  }

  async onModuleDestroy(): Promise<void> {
    await this.copies?.end();
  }

  // A page of the records about one person (docs/compliance.md, access report): the records
  // whose subject they are (audit_events_subject_idx), the records naming them among several
  // people (webhook deliveries, audit_events_subject_ids_idx), and the trail exports whose seq
  // range holds a record about them (audit_events_action_idx, then the subject index for the
  // range). Successful actions only: a refusal disclosed nothing.
  findAboutPerson(
    personId: string,
    range: { from: Date | null; to: Date | null },
    afterSeq: string,
    limit: number,
  ): Promise<AccessRecordRow[]> {
    return this.events.query<AccessRecordRow[]>(ABOUT_PERSON_SQL, [
      personId,
      JSON.stringify([personId]),
      afterSeq,
      range.from,
      range.to,
      limit,
    ]);
  }

  // The records in (afterSeq, toSeq] (up to `limit`) that the compliance alarms look at, in
  // chain order: reads of patient records, refusals, break-glass starts and trail exports.
  findAlarmCandidates(
    afterSeq: string,
    toSeq: string,
    limit: number,
  ): Promise<AlarmCandidateRow[]> {
    return this.events.query<AlarmCandidateRow[]>(
      `SELECT seq, occurred_at AS "occurredAt", actor_user_id AS "actorId", actor_role AS "actorRole",
              action, outcome, subject_id AS "subjectId", resource_id AS "resourceId", details
         FROM audit_events
        WHERE seq > $1 AND seq <= $4
          AND (outcome = 'denied'
               OR (outcome = 'success' AND action = ANY($2::text[])))
        ORDER BY seq
        LIMIT $3`,
      [afterSeq, [...RECORD_READ_ACTIONS, 'break_glass.start', 'audit.export'], limit, toSeq],
    );
  }

  // The last seq of the trail (0 when empty).
  async headSeq(): Promise<string> {
    const rows = await this.events.query<{ seq: string }[]>(
      `SELECT COALESCE(MAX(seq), 0)::text AS seq FROM audit_events`,
    );
    return rows[0].seq;
  }

  // How many patients one account read in (since, until]: distinct subjects of its reads
  // (audit_events_record_reads_idx).
  async countPatientsRead(actorId: string, since: Date, until: Date): Promise<number> {
    const rows = await this.events.query<{ n: number }[]>(
      `SELECT count(DISTINCT subject_id)::int AS n FROM audit_events
        WHERE actor_user_id = $1 AND occurred_at > $2 AND occurred_at <= $3
          AND outcome = 'success' AND action IN ('user.read', 'patient_profile.read', 'break_glass.access')
          AND subject_id IS NOT NULL AND subject_id <> actor_user_id`,
      [actorId, since, until],
    );
    return rows[0].n;
  }

  // How many of one account's requests were refused in (since, until] (audit_events_denied_idx).
  async countDenied(actorId: string, since: Date, until: Date): Promise<number> {
    const rows = await this.events.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM audit_events
        WHERE actor_user_id = $1 AND occurred_at > $2 AND occurred_at <= $3 AND outcome = 'denied'`,
      [actorId, since, until],
    );
    return rows[0].n;
  }

  findPage(
    filter: AuditEventFilter,
    afterSeq: string | null,
    limit: number,
  ): Promise<AuditEventEntity[]> {
    const q = this.events.createQueryBuilder('e').orderBy('e.seq', 'ASC').limit(limit);
    if (afterSeq !== null) q.andWhere('e.seq > :afterSeq', { afterSeq });
    if (filter.from) q.andWhere('e.occurredAt >= :from', { from: filter.from });
    if (filter.to) q.andWhere('e.occurredAt <= :to', { to: filter.to });
    if (filter.actorId) q.andWhere('e.actorUserId = :actorId', { actorId: filter.actorId });
    if (filter.subjectId) q.andWhere('e.subjectId = :subjectId', { subjectId: filter.subjectId });
    if (filter.action) q.andWhere('e.action = :action', { action: filter.action });
    if (filter.outcome) q.andWhere('e.outcome = :outcome', { outcome: filter.outcome });
    return q.getMany();
  }
}
