import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, Repository } from 'typeorm';
import type { CursorPosition } from '../../common/http/cursor';
import { OutboxChannel, OutboxMessageEntity, OutboxStatus } from './outbox-message.entity';

// Payload members that hold a secret (a one-time token or a link built on one): removed once
// the message is delivered or expires, so the outbox keeps no working credential. A dead
// letter keeps them until it is retried or erased (the tokens expire on their own).
export const SECRET_PAYLOAD_KEYS = ['token', 'link', 'secret'] as const;

export interface NewOutboxMessage {
  channel: OutboxChannel;
  recipient: string;
  kind: string;
  payload: Record<string, unknown>;
  // After this the message is useless (e.g. an incoming call stopped ringing): not sent.
  expiresAt?: Date | null;
  // The first attempt waits until then (e.g. an appointment reminder).
  notBefore?: Date | null;
}

export interface ClaimedMessage {
  id: string;
  channel: OutboxChannel;
  recipient: string;
  kind: string;
  payload: Record<string, unknown>;
  attempts: number;
  createdAt: Date;
  expiresAt: Date | null;
}

export interface AddressedMessage {
  id: string;
  channel: OutboxChannel;
  kind: string;
  status: OutboxStatus;
  createdAt: Date;
  sentAt: Date | null;
}

export interface OutboxStats {
  channel: OutboxChannel;
  pending: number;
  oldestPendingSeconds: number;
  dead: number;
}

export interface OutboxPage {
  status?: OutboxStatus;
  channel?: OutboxChannel;
  after: CursorPosition | undefined;
  limit: number;
}

// What became of one attempt. `pending` schedules the next one `delayMs` from now.
export type AttemptOutcome = { id: string; attempt: number } & (
  | { status: OutboxStatus.Sent }
  | { status: OutboxStatus.Expired }
  | { status: OutboxStatus.Dead; error: string }
  | { status: OutboxStatus.Pending; error: string; delayMs: number }
);

function outcomeError(o: AttemptOutcome): string | null {
  switch (o.status) {
    case OutboxStatus.Sent:
      return null;
    case OutboxStatus.Expired:
      return 'EXPIRED';
    case OutboxStatus.Dead:
    case OutboxStatus.Pending:
      return o.error.slice(0, 200);
  }
}

interface ClaimedRow {
  // Null in the one row answered when nothing was claimed.
  id: string | null;
  channel: OutboxChannel;
  recipient: string;
  kind: string;
  payload: Record<string, unknown>;
  attempts: number;
  created_at: Date;
  expires_at: Date | null;
  candidates: number;
}

// How many due messages a claim looks at, per message it may take. The candidates are read
// without locks, so those that concurrent claims of other relays hold (or took since this
// claim's snapshot) are skipped: with four times the batch, the claims of three other relays
// at the same moment still leave a full batch, and a claim that ran out of candidates
// before its batch was full searches again (OutboxRepository.claim).
export const CLAIM_CANDIDATES_PER_MESSAGE = 4;

// Claim statements at most for one claim (the first, and searches again after candidates ran
// out to concurrent claims).
const MAX_CLAIM_ROUNDS = 4;

// The claim ($1 channels, $2 limit, $3 lease in seconds, $4 candidates: $2 ×
// CLAIM_CANDIDATES_PER_MESSAGE), in two steps:
// - the search: for each channel, its oldest due messages from the partial index
//   (channel, next_attempt_at, id) of pending ones, an index-only scan that stops at $4
//   entries per channel (a backlog of another channel is never read), then the oldest $4 of
//   them all. Nothing is locked and no row is read, save on pages changed since the last
//   vacuum, where the scan checks the row's visibility (its "heap fetches").
// - the lock: those candidates, oldest first, looked up by primary key and locked with
//   FOR UPDATE SKIP LOCKED, then re-checked (still pending and due: another relay may have
//   taken one since the search's snapshot), until $2 are held. Only the rows locked (and
//   those skipped on the way) are read.
// It answers the claimed rows, each with the number of candidates the search found (one row
// with a null id when none was claimed): fewer than $4 means nothing more is due.
// Exported for the test that checks its plan (docs/notifications.md).
export const CLAIM_SQL = `WITH candidate AS NOT MATERIALIZED (
   SELECT d.id, d.next_attempt_at FROM unnest($1::text[]) AS c(channel)
   CROSS JOIN LATERAL (
     SELECT id, next_attempt_at FROM notification_outbox
      WHERE status = 'pending' AND channel = c.channel AND next_attempt_at <= now()
      ORDER BY next_attempt_at
      LIMIT $4) d
   ORDER BY d.next_attempt_at
   LIMIT $4),
 due AS (
   SELECT o.id FROM candidate JOIN notification_outbox o ON o.id = candidate.id
    WHERE o.status = 'pending' AND o.next_attempt_at <= now()
    ORDER BY candidate.next_attempt_at
    LIMIT $2
    FOR UPDATE OF o SKIP LOCKED),
 claimed AS (
   UPDATE notification_outbox o
      SET attempts = o.attempts + 1,
          next_attempt_at = now() + make_interval(secs => $3),
          last_attempt_at = now()
     FROM due WHERE o.id = due.id
   RETURNING o.id, o.channel, o.recipient, o.kind, o.payload, o.attempts, o.created_at,
             o.expires_at)
 SELECT claimed.*, searched.n AS candidates
   FROM (SELECT count(*)::int AS n FROM candidate) searched LEFT JOIN claimed ON true`;

// The claim's parameters, in CLAIM_SQL's order: `take` messages at most, from the
// candidates of a batch of `batch` (a claim that searches again for the rest of its batch
// looks at as many candidates as the first time).
export function claimParameters(
  channels: readonly OutboxChannel[],
  take: number,
  leaseSeconds: number,
  batch = take,
): [OutboxChannel[], number, number, number] {
  return [[...channels], take, leaseSeconds, batch * CLAIM_CANDIDATES_PER_MESSAGE];
}

// The only code that touches notification_outbox.
// Outcomes after a claim are fenced by the attempt number: a relay whose lease ran out and was
// overtaken cannot overwrite what the newer attempt wrote.
@Injectable()
export class OutboxRepository {
  constructor(
    @InjectRepository(OutboxMessageEntity)
    private readonly messages: Repository<OutboxMessageEntity>,
  ) {}

  async enqueue(message: NewOutboxMessage, manager: EntityManager): Promise<string> {
    const row = await manager.getRepository(OutboxMessageEntity).save({
      channel: message.channel,
      recipient: message.recipient,
      kind: message.kind,
      payload: message.payload,
      expiresAt: message.expiresAt ?? null,
      ...(message.notBefore ? { nextAttemptAt: message.notBefore } : {}),
    });
    return row.id;
  }

  // Messages addressed to a person, for their data export: never the payload (it may carry a
  // one-time token).
  addressedTo(recipient: string, manager: EntityManager): Promise<AddressedMessage[]> {
    return manager.query<AddressedMessage[]>(
      `SELECT id, channel, kind, status, created_at AS "createdAt", sent_at AS "sentAt"
         FROM notification_outbox WHERE recipient = $1 ORDER BY created_at`,
      [recipient],
    );
  }

  async deleteAddressedTo(recipient: string, manager: EntityManager): Promise<number> {
    const result = await manager.delete(OutboxMessageEntity, { recipient });
    return result.affected ?? 0;
  }

  // Due messages of the given channels, oldest due first, each reserved for `leaseSeconds`
  // by pushing its due time forward and counting the attempt. Rows another relay holds are
  // skipped, not waited for.
  async claim(
    channels: OutboxChannel[],
    limit: number,
    leaseSeconds: number,
  ): Promise<ClaimedMessage[]> {
    if (channels.length === 0) return [];
    const claimed: ClaimedMessage[] = [];
    for (let round = 0; round < MAX_CLAIM_ROUNDS && claimed.length < limit; round++) {
      const params = claimParameters(channels, limit - claimed.length, leaseSeconds, limit);
      const rows = await this.messages.query<ClaimedRow[]>(CLAIM_SQL, params);
      for (const r of rows) {
        if (r.id === null) continue;
        claimed.push({
          id: r.id,
          channel: r.channel,
          recipient: r.recipient,
          kind: r.kind,
          payload: r.payload,
          attempts: r.attempts,
          createdAt: r.created_at,
          expiresAt: r.expires_at,
        });
      }
      // The search saw every due message: those it did not claim are another relay's.
      if (rows[0].candidates < params[3]) break;
    }
    return claimed;
  }

  // Records the outcomes of many attempts in one statement (the relay batches them): each row
  // is updated only if it is still pending under that attempt (the fence above). Sent and
  // expired messages lose their secret payload members. Answers, per outcome, whether it was
  // recorded.
  async recordOutcomes(outcomes: readonly AttemptOutcome[]): Promise<boolean[]> {
    if (outcomes.length === 0) return [];
    const rows = await this.messages.query<{ id: string }[]>(
      `WITH v AS (
         SELECT * FROM unnest($1::uuid[], $2::int[], $3::text[], $4::text[], $5::float8[])
                AS t(id, attempt, status, error, delay_ms)),
       done AS (
         UPDATE notification_outbox o
            SET status = v.status,
                last_error = v.error,
                sent_at = CASE WHEN v.status = 'sent' THEN now() ELSE o.sent_at END,
                dead_at = CASE WHEN v.status = 'dead' THEN now() ELSE o.dead_at END,
                next_attempt_at = CASE WHEN v.status = 'pending'
                  THEN now() + make_interval(secs => v.delay_ms / 1000) ELSE o.next_attempt_at END,
                payload = CASE WHEN v.status IN ('sent', 'expired')
                  THEN o.payload - $6::text[] ELSE o.payload END,
                scrubbed_at = CASE WHEN v.status IN ('sent', 'expired') AND o.payload ?| $6::text[]
                  THEN now() ELSE o.scrubbed_at END
           FROM v
          WHERE o.id = v.id AND o.attempts = v.attempt AND o.status = 'pending'
          RETURNING o.id)
       SELECT id FROM done`,
      [
        outcomes.map((o) => o.id),
        outcomes.map((o) => o.attempt),
        outcomes.map((o) => o.status),
        outcomes.map((o) => outcomeError(o)),
        outcomes.map((o) => (o.status === OutboxStatus.Pending ? o.delayMs : 0)),
        [...SECRET_PAYLOAD_KEYS],
      ],
    );
    const recorded = new Set(rows.map((r) => r.id));
    return outcomes.map((o) => recorded.has(o.id));
  }

  // Pending messages whose moment passed, in channels no relay may be serving (e.g. push
  // without a provider): expired and scrubbed. Returns how many, by channel.
  // Pending messages of `kind` whose payload has `key` = `value` will not be sent: their
  // reason went away (a reminder of an appointment that moved or was cancelled).
  async withdraw(
    kind: string,
    key: string,
    value: string,
    manager: EntityManager,
  ): Promise<number> {
    const [, count] = await manager.query<[unknown, number]>(
      `UPDATE notification_outbox SET status = 'expired', last_error = 'WITHDRAWN'
        WHERE status = 'pending' AND kind = $1 AND payload ->> $2 = $3`,
      [kind, key, value],
    );
    return count;
  }

  async expireOverdue(): Promise<{ channel: OutboxChannel; n: number }[]> {
    // The statement ends in a SELECT: the driver answers with its rows alone.
    return this.messages.query<{ channel: OutboxChannel; n: number }[]>(
      `WITH gone AS (
         UPDATE notification_outbox
            SET status = 'expired', last_error = 'EXPIRED',
                payload = payload - $1::text[],
                scrubbed_at = CASE WHEN payload ?| $1::text[] THEN now() ELSE scrubbed_at END
          WHERE status = 'pending' AND expires_at <= now()
          RETURNING channel)
       SELECT channel, count(*)::int AS n FROM gone GROUP BY channel`,
      [[...SECRET_PAYLOAD_KEYS]],
    );
  }

  async stats(): Promise<OutboxStats[]> {
    return this.messages.query<OutboxStats[]>(
      `SELECT channel,
              count(*) FILTER (WHERE status = 'pending')::int AS pending,
              coalesce(extract(epoch FROM now() - min(created_at) FILTER (WHERE status = 'pending')), 0)::float8
                AS "oldestPendingSeconds",
              count(*) FILTER (WHERE status = 'dead')::int AS dead
         FROM notification_outbox
        WHERE status IN ('pending', 'dead')
        GROUP BY channel`,
    );
  }

  async page(query: OutboxPage): Promise<OutboxMessageEntity[]> {
    const qb = this.messages
      .createQueryBuilder('o')
      .orderBy('o.createdAt', 'DESC')
      .addOrderBy('o.id', 'DESC')
      .limit(query.limit + 1);
    if (query.status) qb.andWhere('o.status = :status', { status: query.status });
    if (query.channel) qb.andWhere('o.channel = :channel', { channel: query.channel });
    if (query.after)
      qb.andWhere('(o.createdAt, o.id) < (:at, :id)', { at: query.after.at, id: query.after.id });
    return qb.getMany();
  }

  findById(id: string): Promise<OutboxMessageEntity | null> {
    return this.messages.findOne({ where: { id } });
  }

  // A dead letter becomes due now with a fresh set of attempts.
  async retryDead(id: string, manager: EntityManager): Promise<OutboxMessageEntity | null> {
    const [rows] = await manager.query<[OutboxMessageEntity[], number]>(
      `UPDATE notification_outbox
          SET status = 'pending', attempts = 0, next_attempt_at = now(), dead_at = NULL,
              last_error = NULL
        WHERE id = $1 AND status = 'dead'
        RETURNING id`,
      [id],
    );
    if (rows.length === 0) return null;
    return manager.getRepository(OutboxMessageEntity).findOne({ where: { id } });
  }
}
