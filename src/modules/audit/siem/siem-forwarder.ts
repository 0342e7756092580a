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
import type { AuditEventRow } from '../audit.repository';
import { octetCountingFrame } from './syslog-format';
import { deliverSyslogBatch, SyslogDeliveryError } from './syslog-tls';
import { auditSyslogMessage } from './siem-record';
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

// Streams the audit trail to the SIEM collector (docs/siem.md): in seq order, a batch per TLS
// session, the cursor moved only after the collector confirmed the batch, so every record is
// delivered at least once whatever fails (the collector, the network, this process). One
// instance forwards at a time (SiemLease); the others wait to take over.
@Injectable()
export class SiemForwarder implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Siem');
  private readonly settings: AppConfig['siem'];
  private readonly host = hostname();
  private readonly backlogTask: PeriodicTask;
  private readonly stopping = new AbortController();
  private lease: SiemLease | null = null;
  // The cursor as this instance last read or moved it, while it holds the lease.
  private position: string | null = null;
  private next: { afterSeq: string; rows: Promise<AuditEventRow[]> } | null = null;
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
        const message = err instanceof Error ? err.message : String(err);
        if (err instanceof SyslogDeliveryError) {
          this.metrics.failed();
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
  // collector confirmed them. Answers how many were sent. While a full batch is on its way,
  // the next one is read from the database (it is sent only after this one is confirmed).
  private async forwardBatch(lease: SiemLease): Promise<number> {
    const settings = this.settings!;
    this.position ??= (await lease.cursor()).seq;
    const rows = await this.pageAfter(this.position);
    if (rows.length === 0) {
      // Caught up (also right after a full batch that was the last): show it.
      await this.backlogTask.runOnce();
      return 0;
    }
    const last = rows[rows.length - 1];
    if (rows.length === settings.batchRecords) this.prefetch(last.seq);
    const payload = Buffer.concat(
      rows.map((row) => octetCountingFrame(auditSyslogMessage(row, this.host))),
    );
    const [ca, cert, key] = await Promise.all([
      readFile(settings.caFile, 'utf8'),
      settings.clientCertFile ? readFile(settings.clientCertFile, 'utf8') : undefined,
      settings.clientKeyFile ? readFile(settings.clientKeyFile, 'utf8') : undefined,
    ]);
    await deliverSyslogBatch(
      {
        host: settings.host,
        port: settings.port,
        ca,
        cert,
        key,
        timeoutMs: SESSION_TIMEOUT_MS,
        signal: this.stopping.signal,
      },
      payload,
    );
    await lease.advance(last.seq, last.hash);
    this.position = last.seq;
    this.metrics.delivered(rows.length);
    // Caught up: show the backlog at once (while streaming, the timed refresh does).
    if (rows.length < settings.batchRecords) await this.backlogTask.runOnce();
    return rows.length;
  }

  private prefetch(afterSeq: string): void {
    const rows = this.siem.page(afterSeq, this.settings!.batchRecords);
    // Awaited (and its failure seen) by pageAfter; never left unhandled if it is dropped.
    rows.catch(() => undefined);
    this.next = { afterSeq, rows };
  }

  private pageAfter(afterSeq: string): Promise<AuditEventRow[]> {
    const next = this.next;
    this.next = null;
    if (next && next.afterSeq === afterSeq) return next.rows;
    return this.siem.page(afterSeq, this.settings!.batchRecords);
  }

  private async dropLease(): Promise<void> {
    const lease = this.lease;
    this.lease = null;
    this.position = null;
    this.next = null;
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
