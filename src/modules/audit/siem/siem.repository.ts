import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Pool } from 'pg';
import type { DataSource, QueryRunner } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import type { AuditEventRow } from '../audit.repository';
import { FrameCopy, frameCopySql, type FramedPage } from './siem-frame-copy';
import { type AuditSyslogFormatter, type SiemRecord, siemRecordOf } from './siem-record';

// Key of the session advisory lock held by the one instance that forwards ("SIEM" in ASCII).
const FORWARDER_LOCK = 0x5349454d;

export interface SiemCursor {
  // The last record the collector confirmed (0: none yet) and its hash.
  seq: string;
  hash: string | null;
}

export interface SiemBacklog {
  records: number;
  // When the oldest record not yet confirmed was written; null when nothing is behind.
  oldestAt: Date | null;
}

// The right to forward, held as a PostgreSQL session advisory lock on a connection of its
// own: it is released when the holder releases it or its connection ends (the process died,
// the network dropped), and another instance takes over. The cursor moves only through this
// connection, so an instance that lost its lock can no longer move it.
export class SiemLease {
  constructor(private readonly runner: QueryRunner) {}

  async cursor(): Promise<SiemCursor> {
    const rows = (await this.runner.query(
      'SELECT seq::text AS seq, hash FROM siem_forwarding_cursor WHERE id = 1',
    )) as SiemCursor[];
    if (rows.length === 0) throw new Error('siem_forwarding_cursor has no row');
    return rows[0];
  }

  // Only forwards: a cursor never goes back, whoever writes it.
  async advance(seq: string, hash: string): Promise<void> {
    await this.runner.query(
      `UPDATE siem_forwarding_cursor SET seq = $1, hash = $2, forwarded_at = now()
        WHERE id = 1 AND seq < $1`,
      [seq, hash],
    );
  }

  async release(): Promise<void> {
    try {
      await this.runner.query('SELECT pg_advisory_unlock($1)', [FORWARDER_LOCK]);
    } finally {
      await this.runner.release();
    }
  }
}

// The forwarder reads its pages as COPYs, which node-postgres refuses on the main pool's
// pipelined connections: one connection of its own, named apart in pg_stat_activity (one page
// is read at a time, and the cursor moves through the lease's connection).
const FRAME_COPY_POOL = {
  max: 1,
  connectionTimeoutMillis: 10_000,
  application_name: 'hekim-siem',
  pipeline: false,
};

// About what a record's frame takes (the first guess of a page's buffer, which grows as needed).
const FRAME_BYTES_GUESS = 700;

// The forwarder's own table (siem_forwarding_cursor) and lock, and its reads of the trail.
@Injectable()
export class SiemRepository {
  private readonly logger = new Logger('Siem');
  private copies: Pool | undefined;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  // The lease when no other instance holds it, else null (at once, never waiting).
  async tryLease(): Promise<SiemLease | null> {
    const runner = this.dataSource.createQueryRunner();
    try {
      await runner.connect();
      const rows = (await runner.query('SELECT pg_try_advisory_lock($1) AS locked', [
        FORWARDER_LOCK,
      ])) as { locked: boolean }[];
      if (rows[0].locked) return new SiemLease(runner);
    } catch (err) {
      await runner.release();
      throw err;
    }
    await runner.release();
    return null;
  }

  // The records after `afterSeq`, in seq order, as the forwarder sends them: only the columns
  // it sends, the time already as RFC 3339 text (as the canonical text writes it), so that
  // reading a batch costs no more than it must. A record written before the canonical text was
  // stored is read whole and rendered from its fields.
  async page(afterSeq: string, limit: number): Promise<SiemRecord[]> {
    const records = await this.dataSource.query<(SiemRecord & { canonical: string | null })[]>(
      `SELECT seq, hash, prev_hash AS "prevHash", action, outcome,
              to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
                AS "occurredAt",
              canonical
         FROM audit_events WHERE seq > $1 ORDER BY seq ASC LIMIT $2`,
      [afterSeq, limit],
    );
    const older = records.filter((r) => r.canonical === null).map((r) => r.seq);
    if (older.length === 0) return records;
    const rows = await this.dataSource.query<AuditEventRow[]>(
      `SELECT seq, occurred_at, actor_user_id, actor_role, actor_ip,
              actor_user_agent, action, outcome, resource_type, resource_id, subject_id,
              request_id, details, prev_hash, hash, canonical
         FROM audit_events WHERE seq = ANY($1::bigint[])`,
      [older],
    );
    const rendered = new Map(rows.map((row) => [row.seq, siemRecordOf(row).canonical]));
    return records.map((r) =>
      r.canonical === null ? { ...r, canonical: rendered.get(r.seq)! } : r,
    );
  }

  // The records after `afterSeq`, at most `limit`, in seq order, as the forwarder sends them:
  // their RFC 5425 frames, written from the bytes of a binary COPY (siem-frame-copy.ts) with
  // no row objects or strings in between. Those frames stop before a record written before the
  // canonical text was stored; from there (and when the COPY found nothing) the rest of the
  // page is read and rendered by page(). A connection left by a failed COPY is closed, not
  // reused.
  async framedPage(
    afterSeq: string,
    limit: number,
    formatter: AuditSyslogFormatter,
  ): Promise<FramedPage> {
    const client = await this.copyPool().connect();
    let copied: FramedPage;
    try {
      const copy = new FrameCopy(
        frameCopySql(afterSeq, limit),
        formatter,
        limit * FRAME_BYTES_GUESS,
      );
      client.query(copy);
      copied = await copy.result;
    } catch (err) {
      client.release(true);
      throw err;
    }
    client.release();
    if (copied.records === limit) return copied;
    // Caught up, or the next record has no stored canonical text.
    const rest = await this.page(copied.last?.seq ?? afterSeq, limit - copied.records);
    if (rest.length === 0) return copied;
    const restLast = rest[rest.length - 1];
    return {
      records: copied.records + rest.length,
      last: { seq: restLast.seq, hash: restLast.hash },
      payload: Buffer.concat([copied.payload, formatter.frames(rest)]),
    };
  }

  // Ends the page reads' connection (the forwarder has stopped).
  async close(): Promise<void> {
    const copies = this.copies;
    this.copies = undefined;
    await copies?.end();
  }

  private copyPool(): Pool {
    if (this.copies === undefined) {
      const main = (this.dataSource.driver as PostgresDriver).master as Pool;
      this.copies = new Pool({ ...main.options, ...FRAME_COPY_POOL });
      // An idle connection the server closes (a restart, a terminated backend) is dropped by
      // the pool; without a listener its error would end the process.
      this.copies.on('error', (e) =>
        this.logger.warn(
          { err: e.message },
          'an idle SIEM read connection failed; the pool drops it',
        ),
      );
    }
    return this.copies;
  }

  // How far the collector is behind the chain head, read in one statement.
  async backlog(): Promise<SiemBacklog> {
    const rows = await this.dataSource.query<{ records: string; oldest: Date | null }[]>(
      `SELECT greatest(h.seq - c.seq, 0)::text AS records,
              (SELECT e.occurred_at FROM audit_events e WHERE e.seq > c.seq
                ORDER BY e.seq LIMIT 1) AS oldest
         FROM audit_chain_head h, siem_forwarding_cursor c WHERE h.id = 1 AND c.id = 1`,
    );
    if (rows.length === 0) return { records: 0, oldestAt: null };
    return { records: Number(rows[0].records), oldestAt: rows[0].oldest };
  }
}
