// Scenario 8: the audit trail. (a) append throughput with the hash chain (AuditService.record)
// vs plain INSERTs of the same rows into a copy of the table; (b) latency of an audited
// request (POST /rooms: room + membership + audit record in one transaction) with the real
// trail vs the same request with the record written as a plain INSERT and with no record;
// (c) NDJSON export of N records (default 1,000,000) over HTTP vs `psql -c "COPY … TO STDOUT"`,
// bytes/s and the server's RSS growth.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Client, Pool } from 'pg';
import type { EntityManager } from 'typeorm';
import { createApp } from '../../src/bootstrap';
import { loadConfig } from '../../src/config/load-config';
import { generateSecrets } from '../../src/config/secrets';
import { AuditAction, AuditOutcome } from '../../src/modules/audit/audit-action';
import { AuditService, type AuditEventInput } from '../../src/modules/audit/audit.service';
import { insertGeneratedChain } from '../audit-fixtures';
import { alternate, verdict, type ScenarioResult } from '../lib/ab';
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  adminToken,
  createDatabase,
  createUsers,
  deleteRedisPrefix,
  loginAll,
  rssOf,
  startHekim,
} from '../lib/hekim';
import { expectOk, http } from '../lib/http';
import type { Lab } from '../lib/lab';
import { sleep } from '../lib/signaling';
import {
  fmt,
  fmtSpread,
  latencySummary,
  median,
  pairedRatios,
  spread,
  type LatencySummary,
} from '../lib/stats';

const CONCURRENCY = 8;

function sampleInput(i: number): AuditEventInput {
  return {
    action: AuditAction.RoomCreate,
    outcome: AuditOutcome.Success,
    actor: {
      userId: '6f1c0b7e-8a55-4c1e-9a52-3f1f0f6e2d10',
      role: 'doctor',
      ip: '203.0.113.7',
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64) bench',
    },
    resource: { type: 'room', id: '0d5e7f3a-7c59-4bde-9a0f-1b2b3c4d5e6f' },
    subjectId: null,
    requestId: `bench-${i}`,
    details: { type: 'consultation', members: 2 },
  };
}

const PLAIN_INSERT = `INSERT INTO bench_plain_audit (seq, occurred_at, actor_user_id, actor_role, actor_ip,
  actor_user_agent, action, outcome, resource_type, resource_id, subject_id, request_id, details,
  prev_hash, hash) VALUES ($1, now(), $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`;

// Rows of one shape, each with the canonical text Hekim would have stored for its fields
// (canonicalJson: keys sorted, occurredAt to the millisecond).
const SEED_SQL = `INSERT INTO audit_events (seq, occurred_at, actor_user_id, actor_role, actor_ip,
  actor_user_agent, action, outcome, resource_type, resource_id, subject_id, request_id, details,
  prev_hash, hash, canonical)
  SELECT r.seq, r.at, '6f1c0b7e-8a55-4c1e-9a52-3f1f0f6e2d10',
         'doctor', '203.0.113.7', 'Mozilla/5.0 (X11; Linux x86_64) bench', 'auth.login', 'success',
         'user', '6f1c0b7e-8a55-4c1e-9a52-3f1f0f6e2d10', NULL, 'bench-' || g,
         jsonb_build_object('method', 'password', 'n', g),
         md5(g::text) || md5((g + 1)::text), md5((g + 1)::text) || md5(g::text),
         '{"action":"auth.login","actor":{"ip":"203.0.113.7","role":"doctor",'
           || '"userAgent":"Mozilla/5.0 (X11; Linux x86_64) bench",'
           || '"userId":"6f1c0b7e-8a55-4c1e-9a52-3f1f0f6e2d10"},'
           || '"details":{"method":"password","n":' || g || '},"occurredAt":"'
           || to_char(r.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
           || '","outcome":"success","requestId":"bench-' || g
           || '","resource":{"id":"6f1c0b7e-8a55-4c1e-9a52-3f1f0f6e2d10","type":"user"},"seq":"'
           || r.seq || '","subjectId":null}'
    FROM generate_series(1, $1::int) AS g,
         (SELECT coalesce(max(seq), 0) AS h FROM audit_events) AS m,
         LATERAL (SELECT m.h + g AS seq,
                         date_trunc('milliseconds', now()) + g * interval '1 millisecond' AS at) AS r`;

let plainSeq = 1_000_000_000;
function plainParams(input: AuditEventInput): unknown[] {
  return [
    String(plainSeq++),
    input.actor.userId ?? null,
    input.actor.role ?? null,
    input.actor.ip ?? null,
    input.actor.userAgent ?? null,
    input.action,
    input.outcome,
    input.resource?.type ?? null,
    input.resource?.id ?? null,
    input.subjectId ?? null,
    input.requestId ?? null,
    JSON.stringify(input.details ?? {}),
    randomBytes(32).toString('hex'),
    randomBytes(32).toString('hex'),
  ];
}

async function closedLoop(seconds: number, work: (i: number) => Promise<unknown>): Promise<number> {
  let done = 0;
  let k = 0;
  const t0 = process.hrtime.bigint();
  const end = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < end) {
        await work(k++);
        done++;
      }
    }),
  );
  return done / (Number(process.hrtime.bigint() - t0) / 1e9);
}

// Latency slices of the variants, taken in turn (SLICE_MS each) for `seconds`: a noisy
// neighbour or a background task of the database hits every variant alike, where whole
// seconds of one variant after another would each meet different weather. Requests are
// sequential, so switching between two requests switches cleanly.
const SLICE_MS = 200;

async function interleavedLatency<V>(
  seconds: number,
  variants: V[],
  use: (variant: V) => void,
  work: (i: number) => Promise<unknown>,
): Promise<LatencySummary[]> {
  const samples = variants.map((): number[] => []);
  const end = Date.now() + seconds * 1000;
  for (let slice = 0, i = 0; Date.now() < end; slice++) {
    const k = slice % variants.length;
    use(variants[k]);
    for (const sliceEnd = Date.now() + SLICE_MS; Date.now() < sliceEnd; i++) {
      const t = process.hrtime.bigint();
      await work(i);
      samples[k].push(Number(process.hrtime.bigint() - t) / 1e6);
    }
  }
  return samples.map(latencySummary);
}

interface Download {
  bytesPerSecond: number;
  bytes: number;
  seconds: number;
  rssGrowthMb: number;
}

// A byte stream read to its end by `wc -c` at the end of a shell pipeline, timed from the
// spawn to the exit. Both sides of (c) are read this way, by the same small C programs
// (curl or psql, then wc): the harness itself reading 500–800 MB spent a fifth of its time
// in garbage collection (its heap holds the app's modules) and was the slowest process of
// the pipe, so it measured itself.
function countBytes(command: string, env: Record<string, string>, pid?: number): Promise<Download> {
  return new Promise((resolve, reject) => {
    const base = pid === undefined ? 0 : rssOf(pid);
    let peak = base;
    const sample = (): void => {
      if (pid !== undefined) peak = Math.max(peak, rssOf(pid));
    };
    const sampler = pid === undefined ? undefined : setInterval(sample, 100);
    const t0 = process.hrtime.bigint();
    let out = '';
    const proc = spawn('bash', ['-o', 'pipefail', '-c', `${command} | wc -c`], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const timer = setTimeout(() => proc.kill('SIGTERM'), 300_000);
    proc.stdout.on('data', (c: Buffer) => (out += c.toString()));
    proc.once('exit', (code) => {
      clearTimeout(timer);
      clearInterval(sampler);
      sample();
      if (code !== 0) return reject(new Error(`${command.split(' ')[0]} exited with ${code}`));
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const bytes = Number(out.trim());
      resolve({
        bytesPerSecond: bytes / seconds,
        bytes,
        seconds,
        rssGrowthMb: (peak - base) / 2 ** 20,
      });
    });
  });
}

function download(url: string, token: string, pid: number): Promise<Download> {
  // The token and address go through the environment, not the command line.
  return countBytes(
    'curl --silent --show-error --fail --max-time 300 -H "authorization: Bearer $BENCH_TOKEN" "$BENCH_URL"',
    { BENCH_TOKEN: token, BENCH_URL: url },
    pid,
  );
}

function psqlCopy(dbUrl: string): Promise<Download> {
  return countBytes('psql "$BENCH_DB" -X -q -c "COPY audit_events TO STDOUT"', {
    BENCH_DB: dbUrl,
  });
}

// (c) export, served by the built app as a child process.
async function exportVsCopy(
  lab: Lab,
  dbUrl: string,
  prefix: string,
  records: number,
  rows: ScenarioResult['rows'],
  ratios: ScenarioResult['ratios'],
  data: Record<string, unknown>,
): Promise<void> {
  // Up to 100,000 records are appended with a valid chain (bench/audit-fixtures.ts, ~5,000/s
  // here); beyond, one INSERT … SELECT generate_series writes rows of the same shape whose
  // hashes are not a chain (the export streams rows, it does not verify them).
  const chained = records <= 100_000;
  lab.log(`  (c) seeding ${records} records (${chained ? 'valid chain' : 'generate_series'})`);
  const seedStart = Date.now();
  const seeder = new Client({ connectionString: dbUrl });
  await seeder.connect();
  if (chained) await insertGeneratedChain(seeder, records);
  else await seeder.query(SEED_SQL, [records]);
  await seeder.query('ANALYZE audit_events');
  await seeder.end();
  data.seedSeconds = (Date.now() - seedStart) / 1000;
  const h = await startHekim({ mode: 'server', databaseUrl: dbUrl, redisPrefix: prefix });
  try {
    const token = await adminToken(h.url);
    await sleep(2000);
    const exportOnce = (): Promise<Download> =>
      download(`${h.url}/api/v1/audit/export?format=ndjson`, token, h.pid);
    // One unmeasured turn of each first: a single cold round (a new process's first export,
    // code not yet optimized, pages not yet cached) decided the verdict when only one was run.
    // Then three pairs of rounds (each export takes a few seconds at 1,000,000 records here).
    // The warm-up export's RSS growth counts (it is the first, from the process's start).
    const warm: Download[] = [];
    if (!lab.settings.quick) {
      lab.log('  (c) warm-up: one export and one COPY, speed not measured');
      warm.push(await exportOnce());
      await psqlCopy(dbUrl);
    }
    const e = await alternate(
      lab.settings.quick ? 1 : 3,
      exportOnce,
      () => psqlCopy(dbUrl),
      lab.log,
    );
    const bps = spread(
      pairedRatios(
        e.a.map((x) => x.bytesPerSecond),
        e.b.map((x) => x.bytesPerSecond),
      ),
    );
    const growth = Math.max(...[...warm, ...e.a].map((x) => x.rssGrowthMb));
    const roundsGrowth = Math.max(...e.a.map((x) => x.rssGrowthMb));
    const mbs = (xs: Download[]): string =>
      `${fmt(median(xs.map((x) => x.bytesPerSecond)) / 2 ** 20, 1)} MB/s`;
    rows.push(
      {
        scenario: '8c',
        metric: `export ${records.toLocaleString('en-US')} records, bytes/s`,
        hekim: mbs(e.a),
        baseline: mbs(e.b),
        ratio: fmtSpread(bps, 2, '×'),
        bar: '≥ 0.9×',
        verdict: verdict(bps.median >= 0.9),
      },
      {
        scenario: '8c',
        metric: 'export RSS growth (max over rounds and warm-up)',
        hekim: `${fmt(growth, 1)} MB`,
        baseline: '—',
        ratio: '—',
        bar: '≤ 50 MB',
        verdict: verdict(growth <= 50),
      },
      {
        scenario: '8c',
        metric: 'export RSS growth, measured rounds only',
        hekim: `${fmt(roundsGrowth, 1)} MB`,
        baseline: '—',
        ratio: '—',
        bar: 'report',
        verdict: 'REPORT',
      },
    );
    ratios.push({ label: 'S8 export B/s', ratio: bps, bar: 0.9 });
    data.export = e;
    data.exportSizes = {
      ndjsonMb: median(e.a.map((x) => x.bytes)) / 2 ** 20,
      copyMb: median(e.b.map((x) => x.bytes)) / 2 ** 20,
    };
  } finally {
    await h.stop();
  }
}

function s8Result(
  records: number,
  rows: ScenarioResult['rows'],
  ratios: ScenarioResult['ratios'],
  latencies: ScenarioResult['latencies'],
  data: Record<string, unknown>,
): ScenarioResult {
  const sizes = data.exportSizes as { ndjsonMb: number; copyMb: number } | undefined;
  return {
    id: 's8',
    title: 'Audit trail',
    rows,
    ratios,
    latencies,
    notes: [
      `seeding ${records} ${records <= 100_000 ? 'chained' : 'generated'} records took ${fmt(data.seedSeconds as number, 0)} s (not measured)` +
        (sizes
          ? `; export size NDJSON ${fmt(sizes.ndjsonMb, 0)} MB vs COPY text ${fmt(sizes.copyMb, 0)} MB`
          : ''),
      '(b) is sequential requests from one client, the three variants taken in turn in 200 ms slices; the trail record is written in the request transaction',
    ],
    data,
  };
}

export async function auditTrail(lab: Lab): Promise<ScenarioResult> {
  const { rounds, seconds } = lab.settings;
  const records = lab.settings.quick
    ? 20_000
    : Number(process.env.BENCH_AUDIT_RECORDS ?? 1_000_000);
  const db = await createDatabase();
  lab.onClose(() => db.drop());
  const prefix = `${lab.redisPrefix}audit:`;
  lab.onClose(() => deleteRedisPrefix(prefix));
  const rows: ScenarioResult['rows'] = [];
  const ratios: ScenarioResult['ratios'] = [];
  const latencies: ScenarioResult['latencies'] = [];
  const data: Record<string, unknown> = { records };

  // BENCH_AUDIT_PARTS=c runs the export (c) alone, =ab the appends and the request latency.
  if (process.env.BENCH_AUDIT_PARTS === 'c') {
    // Building the app migrates the new database, as for (a) and (b).
    const env = { NODE_ENV: 'development', DATABASE_URL: db.url, LOG_LEVEL: 'warn' };
    const migrated = await createApp(
      loadConfig({ ...env, ...generateSecrets() }, { persistGeneratedSecrets: false }),
    );
    await migrated.close();
    await exportVsCopy(lab, db.url, prefix, records, rows, ratios, data);
    return s8Result(records, rows, ratios, latencies, data);
  }
  // (a) and (b): the app in this process, so that the trail can be swapped for the baselines.
  const config = loadConfig(
    {
      NODE_ENV: 'development',
      DATABASE_URL: db.url,
      LOG_LEVEL: 'warn',
      ADMIN_EMAIL,
      ADMIN_PASSWORD,
      AUTH_RATE_LIMIT_PER_MINUTE: '10000',
      ...generateSecrets(),
    },
    { persistGeneratedSecrets: false },
  );
  const app = await createApp(config);
  await app.listen(0, '127.0.0.1');
  const base = (await app.getUrl()).replace('[::1]', '127.0.0.1').replace('localhost', '127.0.0.1');
  const pg = new Pool({ connectionString: db.url, max: config.database.poolSize });
  try {
    await pg.query(
      'CREATE TABLE bench_plain_audit (LIKE audit_events INCLUDING DEFAULTS INCLUDING INDEXES)',
    );
    const audit = app.get(AuditService);
    lab.log('  (a) append throughput');
    const a = await alternate(
      rounds,
      () => closedLoop(seconds, (i) => audit.record(sampleInput(i))),
      () => closedLoop(seconds, (i) => pg.query(PLAIN_INSERT, plainParams(sampleInput(i)))),
      lab.log,
    );
    const append = spread(pairedRatios(a.a, a.b));
    rows.push({
      scenario: '8a',
      metric: `audit appends/s (${CONCURRENCY} concurrent)`,
      hekim: fmt(median(a.a)),
      baseline: fmt(median(a.b)),
      ratio: fmtSpread(append, 2, '×'),
      bar: '≥ 0.5×',
      verdict: verdict(append.median >= 0.5),
    });
    ratios.push({ label: 'S8 appends', ratio: append, bar: 0.5 });
    data.append = a;

    lab.log('  (b) latency of an audited request (POST /rooms)');
    const admin = await adminToken(base);
    const [doctor] = await createUsers(base, admin, 'doctor', 1, 'auditdoc');
    const [patient] = await createUsers(base, admin, 'patient', 1, 'auditpat');
    const [dt] = await loginAll(base, [doctor]);
    type Recorder = (input: AuditEventInput, manager?: EntityManager) => Promise<unknown>;
    const real: Recorder = audit.record.bind(audit);
    // Clients on different loopback addresses: the per-IP limit (600/min/route) is not the test.
    const post = (i: number): Promise<unknown> =>
      expectOk(
        'create room',
        http('POST', `${base}/api/v1/rooms`, {
          token: dt.accessToken,
          body: { name: 'audited', type: 'consultation', memberIds: [patient.id] },
          localAddress: `127.0.0.${2 + (i % 200)}`,
        }),
      );
    // The request writing its record through the trail, as a plain INSERT, and not at all.
    const recorders: Recorder[] = [
      real,
      (input, manager) =>
        manager
          ? manager.query(PLAIN_INSERT, plainParams(input))
          : pg.query(PLAIN_INSERT, plainParams(input)),
      () => Promise.resolve(),
    ];
    const [withTrail, withPlain, without] = recorders.map((): LatencySummary[] => []);
    try {
      for (let round = 0; round < rounds; round++) {
        lab.log(`  round ${round + 1}/${rounds}: trail, plain INSERT, no record`);
        const [trail, plain, none] = await interleavedLatency(
          seconds * 3,
          recorders,
          (r) => {
            audit.record = r as AuditService['record'];
          },
          post,
        );
        withTrail.push(trail);
        withPlain.push(plain);
        without.push(none);
      }
    } finally {
      audit.record = real as AuditService['record'];
    }
    const p50 = (xs: LatencySummary[]): number[] => xs.map((x) => x.p50);
    const addedVsNone = spread(
      pairedRatios(p50(withTrail), p50(without)).map((r) => (r - 1) * 100),
    );
    const addedVsPlain = spread(
      pairedRatios(p50(withTrail), p50(withPlain)).map((r) => (r - 1) * 100),
    );
    rows.push(
      {
        scenario: '8b',
        metric: 'POST /rooms p50 ms, trail vs no record',
        hekim: fmt(median(p50(withTrail))),
        baseline: fmt(median(p50(without))),
        ratio: fmtSpread(addedVsNone, 1, ' %'),
        bar: '≤ +10 %',
        verdict: verdict(addedVsNone.median <= 10),
      },
      {
        scenario: '8b',
        metric: 'POST /rooms p50 ms, trail vs plain INSERT record',
        hekim: fmt(median(p50(withTrail))),
        baseline: fmt(median(p50(withPlain))),
        ratio: fmtSpread(addedVsPlain, 1, ' %'),
        bar: 'report',
        verdict: 'REPORT',
      },
    );
    const mid = (xs: LatencySummary[]): LatencySummary => ({
      count: xs.reduce((n, x) => n + x.count, 0),
      p50: median(xs.map((x) => x.p50)),
      p90: median(xs.map((x) => x.p90)),
      p99: median(xs.map((x) => x.p99)),
      max: Math.max(...xs.map((x) => x.max)),
    });
    latencies.push({ label: 'S8 POST /rooms', hekim: mid(withTrail), baseline: mid(without) });
    data.request = { withTrail, withPlain, without, addedVsNone, addedVsPlain };
  } finally {
    await pg.end();
    await app.close();
  }

  if (process.env.BENCH_AUDIT_PARTS !== 'ab') {
    await exportVsCopy(lab, db.url, prefix, records, rows, ratios, data);
  }
  return s8Result(records, rows, ratios, latencies, data);
}
