// SIEM forwarding throughput (docs/siem.md#throughput): Hekim's forwarder streaming audit
// records to a real rsyslog over TLS, against raw TLS writes of the very same framed lines to
// the same rsyslog, in paired rounds of one run (the bar: at least 0.7× the raw rate).
// Not part of `npm test`; run with
//   npm run bench:siem -- [records=100000] [rounds=5] [batch=<SIEM_BATCH_RECORDS default>]
// (100,000 records are a 60 MB backlog, about what a 30 s outage leaves at 3,000 records a
// second; a round of 20,000 lasts 0.1–0.3 s, where the first rounds' JIT warm-up, the first
// session's handshake and the 10 ms follow of rsyslog's output are a large part: docs/siem.md).
// against BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres), where it
// creates and finally drops a database of its own. Needs rsyslogd (rsyslog, rsyslog-gnutls)
// and openssl. Every wait is bounded and a watchdog ends a run that overruns.
//
// Each round:
// - Hekim: `records` new records are committed in one transaction to the trail of a running
//   app (server settings, SIEM configured), and the forwarder sends them as it does in
//   production (read after the cursor, a TLS session per batch, the close as confirmation,
//   the cursor moved);
// - raw: the same records rendered to the same framed lines (auditSyslogMessage, the same host
//   name), written in one TLS connection to the same rsyslog.
// Both phases end when rsyslog has written the phase's last line (read from its own output,
// polled every 10 ms from where the last look stopped). Raw starts at its connection; Hekim at
// the forwarder's first read of the round's records, so that its one-second idle poll before it
// sees the commit (latency, not throughput) is left out; it is reported apart. The run checks
// that both phases made rsyslog write byte-identical lines. The result is the median of the
// per-round ratios (Hekim's rate / raw rate) with their range, and the load average.
import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  fstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
} from 'node:fs';
import { hostname, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { Client } from 'pg';
import { createApp } from '../src/bootstrap';
import { AppConfig } from '../src/config/app-config';
import { loadConfig } from '../src/config/load-config';
import { generateSecrets } from '../src/config/secrets';
import type { AuditEventRow } from '../src/modules/audit/audit.repository';
import { auditSyslogMessage } from '../src/modules/audit/siem/siem-record';
import { octetCountingFrame } from '../src/modules/audit/siem/syslog-format';
import { SiemRepository } from '../src/modules/audit/siem/siem.repository';
import { freePort } from '../test/support/free-port';
import { makeSiemPki, Rsyslog } from '../test/support/rsyslog';
import { insertGeneratedChain } from './audit-fixtures';
import { spread } from './lib/stats';

const BAR = 0.7;
// A phase that has not delivered everything after this long fails the run.
const PHASE_TIMEOUT_MS = 120_000;
const POLL_MS = 10;

// Follows the file rsyslog writes: counts its lines from a mark on, reading only what was
// appended since the last look (cheap enough to poll often beside the forwarder), and notes
// when the first and the wanted line of a phase appeared.
class Received {
  private offset = 0;
  private lines = 0;
  private readonly buffer = Buffer.alloc(1 << 20);

  constructor(private readonly file: string) {}

  private catchUp(): void {
    let fd: number;
    try {
      fd = openSync(this.file, 'r');
    } catch {
      return; // nothing written yet
    }
    try {
      const size = fstatSync(fd).size;
      while (this.offset < size) {
        const n = readSync(fd, this.buffer, 0, this.buffer.length, this.offset);
        if (n <= 0) break;
        for (
          let i = this.buffer.indexOf(10, 0);
          i !== -1 && i < n;
          i = this.buffer.indexOf(10, i + 1)
        )
          this.lines++;
        this.offset += n;
      }
    } finally {
      closeSync(fd);
    }
  }

  // Where the file stands now: a phase's lines are those written after it.
  mark(): { offset: number; lines: number } {
    this.catchUp();
    return { offset: this.offset, lines: this.lines };
  }

  // Waits until `count` lines were written after `mark`: when the last of them appeared (from
  // `performance.now()`'s clock) and the byte range they occupy.
  async until(
    mark: { offset: number; lines: number },
    count: number,
  ): Promise<{ lastAt: number; from: number; to: number }> {
    const deadline = performance.now() + PHASE_TIMEOUT_MS;
    for (;;) {
      this.catchUp();
      const now = performance.now();
      if (this.lines >= mark.lines + count)
        return { lastAt: now, from: mark.offset, to: this.offset };
      if (now > deadline)
        throw new Error(`rsyslog wrote ${this.lines - mark.lines} of ${count} lines in time`);
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }

  digest(from: number, to: number): string {
    const fd = openSync(this.file, 'r');
    try {
      const bytes = Buffer.alloc(to - from);
      readSync(fd, bytes, 0, bytes.length, from);
      return createHash('sha256').update(bytes).digest('hex');
    } finally {
      closeSync(fd);
    }
  }
}

function writeRaw(port: number, ca: string, payload: Buffer): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca, minVersion: 'TLSv1.2' });
    socket.once('secureConnect', () => socket.end(payload));
    socket.once('error', reject);
    socket.once('close', () => resolve());
    socket.resume();
  });
}

const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
const round2 = (x: number): number => Math.round(x * 100) / 100;
const cpuMs = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1000;

async function main(): Promise<number> {
  const records = Number(process.argv[2] ?? 100_000);
  const rounds = Number(process.argv[3] ?? 5);
  const batch = process.argv[4];
  const bound = setTimeout(
    () => {
      console.error('watchdog: the run overran, stopping');
      process.exit(3);
    },
    rounds * 2 * PHASE_TIMEOUT_MS + 120_000,
  );
  bound.unref();
  const server = new URL(
    process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  );
  const name = `hekim_bench_siem_${randomBytes(4).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'hekim-bench-siem-'));
  const admin = new Client({ connectionString: server.toString() });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  const url = new URL(server);
  url.pathname = `/${name}`;
  let rsyslog: Rsyslog | undefined;
  let app: INestApplication | undefined;
  const db = new Client({ connectionString: url.toString() });
  try {
    const pki = await makeSiemPki(dir);
    const ca = readFileSync(pki.caFile, 'utf8');
    mkdirSync(join(dir, 'rsyslog'));
    rsyslog = await Rsyslog.start({
      dir: join(dir, 'rsyslog'),
      port: await freePort(),
      caFile: pki.caFile,
      ...pki.server,
    });
    const received = new Received(rsyslog.received);
    app = await createApp(
      loadConfig(
        {
          NODE_ENV: 'test',
          DATABASE_URL: url.toString(),
          LOG_LEVEL: 'silent',
          AUDIT_CHECKPOINT_EVERY_RECORDS: '1000000',
          SIEM_SYSLOG_URL: `tls://127.0.0.1:${rsyslog.options.port}`,
          SIEM_CA_FILE: pki.caFile,
          ...(batch ? { SIEM_BATCH_RECORDS: batch } : {}),
          ...generateSecrets(),
        },
        { persistGeneratedSecrets: false },
      ),
    );
    await app.init();
    await db.connect();
    const batchRecords = app.get(AppConfig).siem!.batchRecords;
    const out: Record<string, unknown>[] = [];
    let megabytes = 0;
    const loadBefore = load();
    console.error(`load average before: ${loadBefore}`);
    // The forwarder's reads: when the first one of a round that found records began.
    const siem = app.get(SiemRepository);
    const framedPage = siem.framedPage.bind(siem);
    let firstRead = Number.NaN;
    siem.framedPage = (afterSeq, limit, formatter) => {
      const at = performance.now();
      const page = framedPage(afterSeq, limit, formatter);
      void page.then((found) => {
        if (found.records > 0 && Number.isNaN(firstRead)) firstRead = at;
      });
      return page;
    };
    for (let r = 0; r < rounds; r++) {
      // Hekim: the round's records appear at once; the forwarder, idle, finds them.
      const { seq: fromSeq } = (
        await db.query<{ seq: string }>('SELECT seq::text FROM audit_chain_head WHERE id = 1')
      ).rows[0];
      const hekimMark = received.mark();
      await db.query('BEGIN');
      await insertGeneratedChain(db, records);
      firstRead = Number.NaN;
      // This process's CPU time in each phase (the forwarder, or the raw writer; the file
      // follower in both).
      const hekimCpu = process.cpuUsage();
      await db.query('COMMIT');
      const committedAt = performance.now();
      const fwd = await received.until(hekimMark, records);
      const hekimCpuMs = cpuMs(process.cpuUsage(hekimCpu));
      // Raw: the same records, the same lines, one TLS connection.
      const rows = (
        await db.query<AuditEventRow>(
          `SELECT seq, occurred_at, actor_user_id, actor_role, actor_ip, actor_user_agent, action,
                  outcome, resource_type, resource_id, subject_id, request_id, details, prev_hash,
                  hash, canonical FROM audit_events WHERE seq > $1 ORDER BY seq`,
          [fromSeq],
        )
      ).rows;
      const payload = Buffer.concat(
        rows.map((row) => octetCountingFrame(auditSyslogMessage(row, hostname()))),
      );
      megabytes = payload.length / 1024 / 1024;
      const rawMark = received.mark();
      const connectedAt = performance.now();
      const rawCpu = process.cpuUsage();
      await writeRaw(rsyslog.options.port, ca, payload);
      const raw = await received.until(rawMark, records);
      const rawCpuMs = cpuMs(process.cpuUsage(rawCpu));
      const same =
        rows.length === records &&
        received.digest(fwd.from, fwd.to) === received.digest(raw.from, raw.to);
      if (!same) throw new Error(`round ${r + 1}: rsyslog did not get the same lines from both`);
      const hekimSeconds = (fwd.lastAt - firstRead) / 1000;
      const rawSeconds = (raw.lastAt - connectedAt) / 1000;
      const row = {
        round: r + 1,
        rawRecordsPerSecond: Math.round(records / rawSeconds),
        hekimRecordsPerSecond: Math.round(records / hekimSeconds),
        ratio: round2(rawSeconds / hekimSeconds),
        // From the commit: with the forwarder's idle poll (at most 1 s) before its first read.
        hekimFromCommitSeconds: round2((fwd.lastAt - committedAt) / 1000),
        // CPU time of this process per 1,000 records, each phase.
        hekimCpuMsPer1000: round2((hekimCpuMs * 1000) / records),
        rawCpuMsPer1000: round2((rawCpuMs * 1000) / records),
        load: load(),
      };
      console.error(JSON.stringify(row));
      out.push(row);
    }
    await app.close();
    app = undefined;
    const ratios = spread(out.map((o) => o.ratio as number));
    console.log(
      JSON.stringify({
        records,
        rounds,
        batchRecords,
        megabytesPerRound: round2(megabytes),
        ratio: { median: round2(ratios.median), min: ratios.min, max: ratios.max },
        bar: BAR,
        loadBefore,
        loadAfter: load(),
        rounds_: out,
      }),
    );
    return ratios.median >= BAR ? 0 : 1;
  } finally {
    await app?.close().catch(() => undefined);
    await db.end().catch(() => undefined);
    await rsyslog?.stop();
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
    clearTimeout(bound);
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    console.error(e);
    process.exitCode = 2;
  },
);
