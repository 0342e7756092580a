import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import {
  DataSource,
  type EntityManager,
  type EntitySubscriberInterface,
  type QueryRunner,
  type TransactionCommitEvent,
  type TransactionRollbackEvent,
  type TransactionStartEvent,
} from 'typeorm';
import { AuditAction, AuditOutcome } from './audit-action';
import { canonicalAround, type AuditRecordBody } from './chain/audit-chain';
import { AuditCheckpointer } from './chain/audit-checkpointer';
import { AuditMetrics } from './audit.metrics';
import {
  AuditRepository,
  type AppendedRecord,
  type AuditRecordColumns,
  type AuditUnplacedRow,
} from './audit.repository';
import { GroupCommitQueue } from '../../common/group-commit-queue';

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
// The same without the g flag, whose lastIndex would make test() stateful.
const UNSTORABLE_TEST = new RegExp(UNSTORABLE.source);

export function storableText(value: string, maxChars: number): string {
  // The common case at once: nothing to replace, and too short for a code point to be cut.
  if (value.length <= maxChars && !UNSTORABLE_TEST.test(value)) return value;
  return Array.from(value.replace(UNSTORABLE, '\uFFFD')).slice(0, maxChars).join('');
}

function storableText0(value: string | null | undefined, maxChars: number): string | null {
  return value === null || value === undefined ? null : storableText(value, maxChars);
}

const cleanText = (s: string): string => storableText(s, Number.MAX_SAFE_INTEGER);

// Details as they come back from jsonb: JSON values only (a Date becomes its ISO string),
// strings cleaned like every other text, object keys included (jsonb refuses a NUL in a key
// too, and would store a lone surrogate as U+FFFD, unlike the hashed text). JSON.stringify
// writes NUL and lone surrogates as \u escapes: JSON text without any holds nothing to clean,
// and is parsed without the (slower) reviver.
export function storableDetails(details: Record<string, unknown>): Record<string, unknown> {
  const json = JSON.stringify(details);
  if (!json.includes('\\u')) return JSON.parse(json) as Record<string, unknown>;
  return JSON.parse(json, (_k, v: unknown) => {
    if (typeof v === 'string') return cleanText(v);
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const keys = Object.keys(v);
    if (keys.every((k) => !UNSTORABLE_TEST.test(k))) return v;
    return Object.fromEntries(
      keys.map((k) => [cleanText(k), (v as Record<string, unknown>)[k]] as const),
    );
  }) as Record<string, unknown>;
}

// A record's fields before it has a place in the chain: everything but seq and occurredAt,
// which are assigned under the chain lock.
type UnplacedBody = Omit<AuditRecordBody, 'seq' | 'occurredAt'>;

// Records written together by one group commit at most: bounds the time the chain lock is
// held and the statements sent with one COMMIT.
const MAX_BATCH = 64;

// Errors that one record's content can cause (SQLSTATE classes 22, data exception, and 23,
// integrity constraint violation): the batch is retried record by record so that only the
// bad record's caller fails. Others (connection lost, timeouts) fail the whole batch at once.
function isRecordError(error: unknown): boolean {
  const { code, driverError } = error as { code?: unknown; driverError?: { code?: unknown } };
  const sqlState = typeof code === 'string' ? code : driverError?.code;
  return typeof sqlState === 'string' && /^2[23]/.test(sqlState);
}

function unplacedBody(input: AuditEventInput): UnplacedBody {
  return {
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
}

// The records of a caller's transaction, waiting for its commit (see AuditService.record), in
// the data its QueryRunner carries for subscribers. depth counts the runner's nested
// transactions (savepoints) as this service saw them begin and end.
interface TransactionRecords {
  depth: number;
  pending: UnplacedBody[];
  answers?: Promise<AppendedRecord[]>;
  // The outcomes of the records sent with the COMMIT, for the metrics.
  sent?: string[];
  // The seqs of the records the last commit wrote, in order.
  committed?: string[];
  // A group commit of standalone records: counted by record() for each caller instead.
  standalone?: boolean;
}

function transactionRecords(runner: QueryRunner): TransactionRecords {
  const data = runner.data as { hekimAuditRecords?: TransactionRecords };
  return (data.hekimAuditRecords ??= { depth: 0, pending: [] });
}

@Injectable()
export class AuditService implements OnModuleDestroy, EntitySubscriberInterface {
  private readonly logger = new Logger(AuditService.name);
  // Standalone records (no caller transaction) are group-committed: the records that arrive
  // while one batch is being written are appended together by the next, in a transaction of
  // their own that writes them as a caller's transaction writes its records (with its COMMIT,
  // see beforeTransactionCommit), and each caller learns its seq after the commit.
  private readonly standalone = new GroupCommitQueue<UnplacedBody, string>({
    maxBatch: MAX_BATCH,
    write: (bodies) => this.commitStandalone(bodies),
    retryAlone: isRecordError,
  });

  constructor(
    private readonly dataSource: DataSource,
    private readonly repository: AuditRepository,
    private readonly checkpointer: AuditCheckpointer,
    private readonly metrics: AuditMetrics,
  ) {
    dataSource.subscribers.push(this);
  }

  // Without a manager the record is committed in a transaction of its own, possibly shared
  // with other standalone records, before this resolves with its seq.
  //
  // Given the manager of the caller's transaction, the record is written with that
  // transaction's COMMIT, sent in the same round trip (beforeTransactionCommit), so that the
  // business change and its record commit or fail together: a record that cannot be written
  // turns the COMMIT into a ROLLBACK and the commit throws its error. This resolves at once,
  // without a seq. Inside a savepoint (a nested transaction) the record is written at once
  // instead, so that rolling back to the savepoint drops it with the rest.
  //
  // Either way a failure to write is thrown: an action whose record cannot be written fails.
  record(input: AuditEventInput): Promise<string>;
  record(input: AuditEventInput, manager?: EntityManager): Promise<string | undefined>;
  async record(input: AuditEventInput, manager?: EntityManager): Promise<string | undefined> {
    const body = unplacedBody(input);
    if (!manager) {
      const [seq] = await this.counted(
        [body],
        this.standalone.push(body).then((s) => [s]),
      );
      return seq;
    }
    const runner = manager.queryRunner;
    const records = runner?.isTransactionActive ? transactionRecords(runner) : undefined;
    if (records?.depth === 1) {
      records.pending.push(body);
      return undefined;
    }
    const [seq] = await this.counted([body], this.appendNow([body], manager));
    return seq;
  }

  // Several records of the caller's transaction, in this order, as record(input, manager)
  // writes one: with the transaction's COMMIT (resolving at once, without seqs), or at once
  // inside a savepoint (resolving with their seqs). Either way they are appended by one
  // statement (AuditRepository.appendMany), which chains them exactly as one statement per
  // record would.
  async recordMany(
    inputs: AuditEventInput[],
    manager: EntityManager,
  ): Promise<string[] | undefined> {
    const bodies = inputs.map(unplacedBody);
    const runner = manager.queryRunner;
    const records = runner?.isTransactionActive ? transactionRecords(runner) : undefined;
    if (records?.depth === 1) {
      records.pending.push(...bodies);
      return undefined;
    }
    if (bodies.length === 0) return [];
    return this.counted(bodies, this.appendNow(bodies, manager));
  }

  // Records written or failed, as their callers learn it (a group commit retries a failed
  // batch record by record, so its attempts are not what is counted).
  private async counted(bodies: UnplacedBody[], write: Promise<string[]>): Promise<string[]> {
    try {
      const seqs = await write;
      this.metrics.written(bodies.map((b) => b.outcome));
      return seqs;
    } catch (e) {
      this.metrics.failed(bodies.length);
      throw e;
    }
  }

  afterTransactionStart({ queryRunner }: TransactionStartEvent): void {
    const records = transactionRecords(queryRunner);
    records.depth += 1;
    if (records.depth === 1) {
      records.pending = [];
      records.answers = undefined;
      records.standalone = false;
    }
  }

  // The transaction's records are sent right before its COMMIT, which TypeORM sends behind
  // them without waiting for their answers (the connection is pipelined): one round trip for
  // both, and the chain lock is held only while the COMMIT runs.
  async beforeTransactionCommit({ queryRunner }: TransactionCommitEvent): Promise<void> {
    const records = transactionRecords(queryRunner);
    if (records.depth !== 1 || records.pending.length === 0) return;
    const rows = records.pending.map(unplacedRow);
    records.sent = records.pending.map((b) => b.outcome);
    records.pending = [];
    const { answers } = await this.repository.sendAppends(rows, queryRunner.manager);
    // Observed here so that a failure is never unhandled; afterTransactionCommit throws it.
    answers.catch(() => undefined);
    records.answers = answers;
  }

  // A record that failed made PostgreSQL roll the transaction back instead of committing it:
  // its error is thrown from the commit. A checkpoint due at one of the records is signed
  // once they are committed (failing it does not undo them; the timer signs the head later).
  async afterTransactionCommit({ queryRunner }: TransactionCommitEvent): Promise<void> {
    const records = transactionRecords(queryRunner);
    records.depth -= 1;
    const answers = records.answers;
    if (records.depth > 0 || answers === undefined) return;
    records.answers = undefined;
    const sent = records.standalone ? [] : (records.sent ?? []);
    let appended: AppendedRecord[];
    try {
      appended = await answers;
    } catch (e) {
      this.metrics.failed(sent.length);
      throw e;
    }
    this.metrics.written(sent);
    records.committed = appended.map((r) => r.seq);
    if (appended.some((r) => this.checkpointer.isDue(r.seq))) {
      await this.checkpointer
        .checkpointHead()
        .catch((e: unknown) =>
          this.logger.error({ err: e }, 'audit checkpoint failed; the timer signs the head later'),
        );
    }
  }

  afterTransactionRollback({ queryRunner }: TransactionRollbackEvent): void {
    const records = transactionRecords(queryRunner);
    records.depth -= 1;
    if (records.depth <= 0) {
      records.depth = 0;
      records.pending = [];
      records.answers = undefined;
    }
  }

  // A batch of standalone records: BEGIN, then the records and the COMMIT in one round trip,
  // so the chain lock is held only while PostgreSQL runs them (not across round trips).
  private async commitStandalone(bodies: UnplacedBody[]): Promise<string[]> {
    let records: TransactionRecords | undefined;
    await this.dataSource.transaction((m) => {
      if (!m.queryRunner) throw new Error('a transaction without a query runner');
      records = transactionRecords(m.queryRunner);
      records.standalone = true;
      records.pending.push(...bodies);
      return Promise.resolve();
    });
    return records?.committed ?? [];
  }

  // Standalone records still queued are written before the database goes away.
  onModuleDestroy(): Promise<void> {
    return this.standalone.idle();
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

  // Appends records at the head of the chain at once (inside a savepoint of the caller's
  // transaction): one statement, in which the database assigns seq and time and hashes (see
  // AuditRepository.appendMany); then, in the same transaction, a checkpoint at each record
  // due one, in chain order.
  private async appendNow(bodies: UnplacedBody[], manager: EntityManager): Promise<string[]> {
    const appended = await this.repository.appendMany(bodies.map(unplacedRow), manager);
    for (const record of appended) {
      if (this.checkpointer.isDue(record.seq)) {
        await this.checkpointer.sign(
          manager,
          { seq: record.seq, hash: record.hash },
          record.occurredAt,
        );
      }
    }
    return appended.map((r) => r.seq);
  }
}

// A record as the append statements take it: the database assigns its seq and time.
function unplacedRow(b: UnplacedBody): AuditUnplacedRow {
  return { ...columnsOf(b), canonicalAround: canonicalAround(b) };
}

// A record's columns other than its place in the chain.
function columnsOf(b: UnplacedBody): AuditRecordColumns {
  return {
    actorUserId: b.actor.userId,
    actorRole: b.actor.role,
    actorIp: b.actor.ip,
    actorUserAgent: b.actor.userAgent,
    action: b.action,
    outcome: b.outcome,
    resourceType: b.resource.type,
    resourceId: b.resource.id,
    subjectId: b.subjectId,
    requestId: b.requestId,
    details: b.details,
  };
}
