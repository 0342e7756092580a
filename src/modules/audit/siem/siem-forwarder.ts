import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { PeriodicTask } from '../../../common/scheduling/periodic-task';
import { AppConfig } from '../../../config/app-config';
import {
  SyslogDeliveryError,
  syslogSecureContext,
  SyslogTlsSession,
  type SyslogTlsTarget,
} from './syslog-tls';
import type { FramedPage } from './siem-frame-copy';
import { AuditSyslogFormatter } from './siem-record';
import { SiemMetrics } from './siem.metrics';
import { type SiemLease, SiemRepository } from './siem.repository';

// Nothing left to send: look again after this long.
const IDLE_POLL_MS = 1000;
// Another instance forwards: try for the lease again after this long (the takeover delay).
const TAKEOVER_POLL_MS = 5000;
// A batch the collector did not confirm is retried after 1 s, doubling up to 15 s.
const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 15_000;
const SESSION_TIMEOUT_MS = 30_000;
const BACKLOG_REFRESH_MS = 15_000;
// The CA and client certificate files are read again after this long (and after any session
// the collector did not confirm), so a renewed certificate needs no restart.
const TLS_REREAD_MS = 60_000;
// A batch (SIEM_BATCH_RECORDS, one TLS session) is read and written in pages of at most this
// many records: the session starts with the first page, and the next page is read while one is
// written.
const PAGE_RECORDS = 500;

interface Page extends FramedPage {
  // Asked for: the records after `afterSeq`, at most `limit`.
  afterSeq: string;
  limit: number;
}

// Streams the audit trail to the SIEM collector (docs/siem.md): in seq order, a batch per TLS
// session, the cursor moved only after the collector confirmed the batch, so every record is
// delivered at least once whatever fails (the collector, the network, this process). One
// instance forwards at a time (SiemLease); the others wait to take over.
//
// A batch is written page by page as it is read (the next page is read and formatted while
// one is written); the next session's handshake is made while a batch is on its way. The next
// batch is written once this one is confirmed, while the cursor's update for this one is still
// under way (at most one update pending): a crash repeats at most two batches, a stop or any
// other interruption at most one (docs/siem.md#at-least-once).
@Injectable()
export class SiemForwarder implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Siem');
  private readonly settings: AppConfig['siem'];
  private readonly formatter = new AuditSyslogFormatter(hostname());
  private readonly backlogTask: PeriodicTask;
  private readonly stopping = new AbortController();
  private lease: SiemLease | null = null;
  // The cursor as this instance last read or moved it, while it holds the lease.
  private position: string | null = null;
  // The page read ahead.
  private next: { afterSeq: string; limit: number; page: Promise<Page> } | null = null;
  // The cursor's update for the last confirmed batch, while it is under way.
  private committing: Promise<void> | null = null;
  // The session opened for the next batch (its handshake made while this one is delivered).
  private upcoming: SyslogTlsSession | null = null;
  private tls: { target: SyslogTlsTarget; readAt: number } | null = null;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;

  constructor(
    config: AppConfig,
    private readonly siem: SiemRepository,
    private readonly metrics: SiemMetrics,
  ) {
    this.settings = config.siem;
    this.backlogTask = new PeriodicTask(
      'SIEM backlog refresh failed',
      BACKLOG_REFRESH_MS,
      async () => this.metrics.backlog(await this.siem.backlog(), Date.now()),
      this.logger,
    );
  }

  onApplicationBootstrap(): void {
    if (!this.settings) return;
    this.backlogTask.start();
    void this.backlogTask.runOnce();
    this.loop = this.run();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopping.abort();
    this.wake?.();
    await this.loop;
    await this.backlogTask.stop();
    await this.siem.close();
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopping.signal.aborted) {
      let pause: number;
      try {
        if (!this.lease) {
          this.lease = await this.siem.tryLease();
          this.metrics.leased(this.lease !== null);
          if (!this.lease) {
            await this.sleep(TAKEOVER_POLL_MS);
            continue;
          }
          this.logger.log('this instance now forwards the audit trail to the SIEM collector');
        }
        const full = await this.forwardBatch(this.lease);
        failures = 0;
        // A full batch: more may be waiting, go on at once.
        pause = full ? 0 : IDLE_POLL_MS;
      } catch (err) {
        failures++;
        // Read the cursor again before the next batch, whoever holds the lease then.
        this.position = null;
        this.next = null;
        this.discardUpcoming();
        // The update of the batch confirmed before this one: done, or the database failed.
        const committed = await this.settleCursor().then(
          () => true,
          () => false,
        );
        const message = err instanceof Error ? err.message : String(err);
        if (err instanceof SyslogDeliveryError && committed) {
          this.metrics.failed();
          // A renewed CA or certificate may be why: read the files again.
          this.tls = null;
          if (!this.stopping.signal.aborted)
            this.logger.warn({ err: message }, 'the SIEM collector did not confirm a batch');
        } else {
          // The database (or the lease's connection) failed: give the lease up; this or another
          // instance takes it again and resumes from the cursor.
          this.logger.warn({ err: message }, 'SIEM forwarding failed');
          await this.dropLease();
        }
        pause = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.min(failures - 1, 10));
        // The backlog keeps growing while the collector is away: show it now.
        await this.backlogTask.runOnce();
      }
      if (pause > 0) await this.sleep(pause);
    }
    await this.dropLease();
  }

  // Sends the records after the cursor, up to a batch, in one session, and has the cursor moved
  // once the collector confirmed them. Answers whether the batch was full (more may wait).
  private async forwardBatch(lease: SiemLease): Promise<boolean> {
    const batchRecords = this.settings!.batchRecords;
    const pageRecords = Math.min(PAGE_RECORDS, batchRecords);
    this.position ??= (await lease.cursor()).seq;
    let page = await this.pageAfter(this.position, pageRecords);
    if (page.records === 0) {
      this.discardUpcoming();
      // Caught up (also right after a full batch that was the last): show it.
      await this.settleCursor();
      await this.backlogTask.runOnce();
      return false;
    }
    const target = await this.target();
    const session = this.upcoming ?? new SyslogTlsSession(target);
    this.upcoming = null;
    let sent = 0;
    let last: NonNullable<Page['last']>;
    let full: boolean;
    try {
      for (;;) {
        last = page.last!;
        sent += page.records;
        // A full page: more may be waiting.
        full = page.records === page.limit;
        const room = batchRecords - sent;
        // Read ahead: the next page of this batch, or the first of the next one.
        if (full) this.prefetch(last.seq, Math.min(pageRecords, room > 0 ? room : pageRecords));
        // The next batch's session is opened (its handshake made) while this one is on its way.
        if (full && !this.upcoming) this.upcoming = new SyslogTlsSession(target);
        await session.write(page.payload);
        // Full, caught up, or the session failed (finish() says why): read no further.
        if (!full || room === 0 || session.failed) break;
        page = await this.pageAfter(last.seq, Math.min(pageRecords, room));
        if (page.records === 0) {
          full = false;
          break;
        }
      }
      if (!full) this.discardUpcoming();
      await session.finish();
    } catch (err) {
      // A page could not be read, or the session failed: it carries nothing more.
      session.discard();
      throw err;
    }
    this.metrics.delivered(sent);
    this.position = last.seq;
    await this.commit(lease, last);
    // Caught up: the cursor is moved and the backlog shown at once (while streaming, the timed
    // refresh does).
    if (!full) {
      await this.settleCursor();
      await this.backlogTask.runOnce();
    }
    return full;
  }

  // Moves the cursor to a confirmed record without waiting for it, once the previous update
  // is done: at most one update is under way, so at most one confirmed batch is not yet
  // recorded as such.
  private async commit(lease: SiemLease, last: NonNullable<Page['last']>): Promise<void> {
    await this.settleCursor();
    const update = lease.advance(last.seq, last.hash);
    // Awaited (and its failure seen) by settleCursor; never left unhandled.
    update.catch(() => undefined);
    this.committing = update;
  }

  // Waits for the cursor's pending update; rejects when the database failed it.
  private async settleCursor(): Promise<void> {
    const update = this.committing;
    this.committing = null;
    await update;
  }

  // Where and how to connect: the TLS settings are made from the files once, and again after
  // TLS_REREAD_MS or a session the collector did not confirm.
  private async target(): Promise<SyslogTlsTarget> {
    if (this.tls && Date.now() - this.tls.readAt < TLS_REREAD_MS) return this.tls.target;
    const settings = this.settings!;
    const [ca, cert, key] = await Promise.all([
      readFile(settings.caFile, 'utf8'),
      settings.clientCertFile ? readFile(settings.clientCertFile, 'utf8') : undefined,
      settings.clientKeyFile ? readFile(settings.clientKeyFile, 'utf8') : undefined,
    ]);
    const target: SyslogTlsTarget = {
      host: settings.host,
      port: settings.port,
      secureContext: syslogSecureContext({ ca, cert, key }),
      timeoutMs: SESSION_TIMEOUT_MS,
      signal: this.stopping.signal,
    };
    this.tls = { target, readAt: Date.now() };
    return target;
  }

  private discardUpcoming(): void {
    this.upcoming?.discard();
    this.upcoming = null;
  }

  private prefetch(afterSeq: string, limit: number): void {
    const page = this.read(afterSeq, limit);
    // Awaited (and its failure seen) by pageAfter; never left unhandled if it is dropped.
    page.catch(() => undefined);
    this.next = { afterSeq, limit, page };
  }

  private pageAfter(afterSeq: string, limit: number): Promise<Page> {
    const next = this.next;
    this.next = null;
    if (next && next.afterSeq === afterSeq && next.limit === limit) return next.page;
    return this.read(afterSeq, limit);
  }

  // The records after `afterSeq`, at most `limit`, as the frames that carry them.
  private async read(afterSeq: string, limit: number): Promise<Page> {
    return { afterSeq, limit, ...(await this.siem.framedPage(afterSeq, limit, this.formatter)) };
  }

  private async dropLease(): Promise<void> {
    const lease = this.lease;
    this.lease = null;
    this.position = null;
    this.next = null;
    this.discardUpcoming();
    this.metrics.leased(false);
    if (!lease) return;
    // A confirmed batch is recorded as such before the lease goes (a stop repeats no more than
    // the batch it interrupted).
    await this.settleCursor().catch(() => undefined);
    await lease.release().catch((err: unknown) => {
      this.logger.warn(
        { err: err instanceof Error ? err.message : String(err) },
        'SIEM lease release failed (its connection ends it)',
      );
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.stopping.signal.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
