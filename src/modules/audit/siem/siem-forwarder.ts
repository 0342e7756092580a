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
import { AuditSyslogFormatter, type SiemRecord } from './siem-record';
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

interface Batch {
  rows: SiemRecord[];
  payload: Buffer;
}

// Streams the audit trail to the SIEM collector (docs/siem.md): in seq order, a batch per TLS
// session, the cursor moved only after the collector confirmed the batch, so every record is
// delivered at least once whatever fails (the collector, the network, this process). One
// instance forwards at a time (SiemLease); the others wait to take over.
//
// While a full batch is on its way, the next batch is read and formatted and the next
// session's handshake is made; the next batch is written only once this one is confirmed and the cursor moved, so
// an interruption still repeats at most one batch (docs/siem.md#at-least-once).
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
  private next: { afterSeq: string; batch: Promise<Batch> } | null = null;
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
        const sent = await this.forwardBatch(this.lease);
        failures = 0;
        // A full batch: more may be waiting, go on at once.
        pause = sent === this.settings!.batchRecords ? 0 : IDLE_POLL_MS;
      } catch (err) {
        failures++;
        // Read the cursor again before the next batch, whoever holds the lease then.
        this.position = null;
        this.next = null;
        this.discardUpcoming();
        const message = err instanceof Error ? err.message : String(err);
        if (err instanceof SyslogDeliveryError) {
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

  // Sends the records after the cursor, up to a batch, and moves the cursor once the
  // collector confirmed them. Answers how many were sent.
  private async forwardBatch(lease: SiemLease): Promise<number> {
    const batchRecords = this.settings!.batchRecords;
    this.position ??= (await lease.cursor()).seq;
    const { rows, payload } = await this.batchAfter(this.position);
    if (rows.length === 0) {
      this.discardUpcoming();
      // Caught up (also right after a full batch that was the last): show it.
      await this.backlogTask.runOnce();
      return 0;
    }
    const last = rows[rows.length - 1];
    const full = rows.length === batchRecords;
    if (full) this.prefetch(last.seq);
    const target = await this.target();
    const session = this.upcoming ?? new SyslogTlsSession(target);
    this.upcoming = full ? new SyslogTlsSession(target) : null;
    await session.deliver(payload);
    await lease.advance(last.seq, last.hash);
    this.position = last.seq;
    this.metrics.delivered(rows.length);
    // Caught up: show the backlog at once (while streaming, the timed refresh does).
    if (!full) await this.backlogTask.runOnce();
    return rows.length;
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

  private prefetch(afterSeq: string): void {
    const batch = this.read(afterSeq);
    // Awaited (and its failure seen) by batchAfter; never left unhandled if it is dropped.
    batch.catch(() => undefined);
    this.next = { afterSeq, batch };
  }

  private batchAfter(afterSeq: string): Promise<Batch> {
    const next = this.next;
    this.next = null;
    if (next && next.afterSeq === afterSeq) return next.batch;
    return this.read(afterSeq);
  }

  // The records after `afterSeq`, up to a batch, and the frames that carry them.
  private async read(afterSeq: string): Promise<Batch> {
    const rows = await this.siem.page(afterSeq, this.settings!.batchRecords);
    return { rows, payload: this.formatter.frames(rows) };
  }

  private async dropLease(): Promise<void> {
    const lease = this.lease;
    this.lease = null;
    this.position = null;
    this.next = null;
    this.discardUpcoming();
    this.metrics.leased(false);
    if (lease)
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
