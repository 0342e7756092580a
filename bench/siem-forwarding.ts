// SIEM forwarding throughput (docs/siem.md): Hekim streaming N audit records to a real rsyslog
// over TLS, against raw TLS writes of the same framed lines to the same rsyslog in the same run
// (the bar: at least 0.7× the raw rate). Not part of `npm test`; run with
//   npm run bench:siem -- [records=50000] [batch=500]
// against BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres), where it
// creates and finally drops a database of its own. Needs rsyslogd (rsyslog, rsyslog-gnutls)
// and openssl.
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { Client } from 'pg';
import { createApp } from '../src/bootstrap';
import { loadConfig } from '../src/config/load-config';
import { generateSecrets } from '../src/config/secrets';
import type { AuditEventRow } from '../src/modules/audit/audit.repository';
import { auditSyslogMessage } from '../src/modules/audit/siem/siem-record';
import { octetCountingFrame } from '../src/modules/audit/siem/syslog-format';
import { freePort } from '../test/support/free-port';
import { makeSiemPki, Rsyslog, type SiemPki, waitFor } from '../test/support/rsyslog';
import { insertGeneratedChain } from './audit-fixtures';

const BAR = 0.7;

async function collector(dir: string, name: string, pki: SiemPki): Promise<Rsyslog> {
  const own = join(dir, name);
  mkdirSync(own);
  return Rsyslog.start({ dir: own, port: await freePort(), caFile: pki.caFile, ...pki.server });
}

async function main(): Promise<number> {
  const records = Number(process.argv[2] ?? 50_000);
  const batch = process.argv[3] ?? '500';
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
  const env = (extra: NodeJS.ProcessEnv) =>
    loadConfig(
      {
        NODE_ENV: 'test',
        DATABASE_URL: url.toString(),
        LOG_LEVEL: 'silent',
        AUDIT_CHECKPOINT_EVERY_RECORDS: '1000000',
        ...generateSecrets(),
        ...extra,
      },
      { persistGeneratedSecrets: false },
    );
  const collectors: Rsyslog[] = [];
  try {
    const pki = await makeSiemPki(dir);
    // Migrate, then write the chain with nothing forwarding yet.
    const setup = await createApp(env({}));
    await setup.init();
    await setup.close();
    const db = new Client({ connectionString: url.toString() });
    await db.connect();
    await insertGeneratedChain(db, records);
    const rows = (
      await db.query<AuditEventRow>(
        `SELECT seq, occurred_at, actor_user_id, actor_role, actor_ip, actor_user_agent, action,
                outcome, resource_type, resource_id, subject_id, request_id, details, prev_hash,
                hash, canonical FROM audit_events ORDER BY seq`,
      )
    ).rows;
    const payload = Buffer.concat(
      rows.map((r) => octetCountingFrame(auditSyslogMessage(r, hostname()))),
    );
    const ca = readFileSync(pki.caFile, 'utf8');
    const all = (r: Rsyslog) => () => r.lines().length >= records;

    // Raw: the same framed lines over one TLS connection, timed until rsyslog wrote them all.
    const raw = await collector(dir, 'raw', pki);
    collectors.push(raw);
    const t0 = Date.now();
    await new Promise<void>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port: raw.options.port, ca });
      socket.once('secureConnect', () => socket.end(payload));
      socket.once('error', reject);
      socket.once('close', () => resolve());
      socket.resume();
    });
    await waitFor(all(raw), 300_000, () => 'rsyslog did not receive the raw lines');
    const rawSeconds = (Date.now() - t0) / 1000;

    // Hekim: the forwarder from an empty cursor, timed until rsyslog wrote every record.
    const fwd = await collector(dir, 'hekim', pki);
    collectors.push(fwd);
    const app = await createApp(
      env({
        SIEM_SYSLOG_URL: `tls://127.0.0.1:${fwd.options.port}`,
        SIEM_CA_FILE: pki.caFile,
        SIEM_BATCH_RECORDS: batch,
      }),
    );
    const t1 = Date.now();
    await app.init();
    const progress = setInterval(() => {
      void db
        .query<{ seq: string }>('SELECT seq FROM siem_forwarding_cursor')
        .then((r) => console.error(`${(Date.now() - t1) / 1000} s: cursor ${r.rows[0].seq}`));
    }, 2000);
    try {
      await waitFor(all(fwd), 300_000, () => 'rsyslog did not receive every record');
    } finally {
      clearInterval(progress);
      await app.close();
    }
    const forwardSeconds = (Date.now() - t1) / 1000;
    await db.end();
    const ratio = rawSeconds / forwardSeconds;
    console.log(
      JSON.stringify({
        records,
        batchRecords: Number(batch),
        megabytes: Math.round((payload.length / 1024 / 1024) * 10) / 10,
        rawSeconds,
        rawRecordsPerSecond: Math.round(records / rawSeconds),
        forwardSeconds,
        forwardRecordsPerSecond: Math.round(records / forwardSeconds),
        ratio: Math.round(ratio * 100) / 100,
        bar: BAR,
      }),
    );
    return ratio >= BAR ? 0 : 1;
  } finally {
    for (const c of collectors) await c.stop();
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
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
