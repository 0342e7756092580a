// Scenario 9: consultation capacity. Simulated consultations (bench/lib/consult.ts: check-in,
// queue updates, admission, a call with offer/answer/candidates, a TURN refresh, `call:stats`
// every 5 s from both sides, a chat message every 30 s, leave) are added step by step to one
// Hekim instance in server mode; at each step every consultation is held for a while and the
// signaling latency of what they do (acks of `call:stats` and `chat:send`, the chat's delivery
// to the other side) is measured, with the instance's CPU and memory and the database's writes
// and audit records. The ramp stops by itself when the p99 passes 100 ms, when anything fails,
// or at its last step. Each step is a paired round: the same number of consultations, with the
// same profile, held on the bare relay right after Hekim's hold. Then the same ramp on two
// instances over Redis (each consultation's doctor on one, its patient on the other).
//
// Settings (environment): BENCH_CAPACITY_STEPS (consultations at each step, default
// 10,20,40,80), BENCH_CAPACITY_HOLD (seconds held per step, default 15),
// BENCH_CAPACITY_STATS / BENCH_CAPACITY_CHAT (seconds between a side's `call:stats` and between
// chat messages; default 5 and 30, real time: set them lower to compress time), and
// BENCH_CAPACITY_TWO=0 to skip the two-instance ramp, BENCH_CAPACITY_TWO_STEPS for its own
// steps (default: the same but the last), BENCH_CAPACITY_STOP_MS for the p99 that stops the ramp (100),
// BENCH_CAPACITY_NO_RELAY=1 to run the instances without the outbox relay.
import { Client } from 'pg';
import { loadavg } from 'node:os';
import type { ScenarioResult } from '../lib/ab';
import {
  begin,
  book,
  end,
  Recorder,
  startTraffic,
  stopTraffic,
  type Consultation,
  type Profile,
} from '../lib/consult';
import { cpuBetween, cpuSnapshot } from '../lib/cpu';
import { createUsers, grantConsent, loginAll, pool, rssOf, type HekimInstance } from '../lib/hekim';
import type { Lab } from '../lib/lab';
import { sleep } from '../lib/signaling';
import { fmt, fmtSpread, latencySummary, median, pairedRatios, spread } from '../lib/stats';

// The ramp stops when the held traffic's p99 passes this (ms); BENCH_CAPACITY_STOP_MS raises it
// where the machine's own noise passes it already (the paired bare relay's p99 shows that).
const P99_STOP_MS = Number(process.env.BENCH_CAPACITY_STOP_MS ?? 100);
const P99_HELD_MS = 50;
// Consultations set up at once while a step is being reached.
const SETUP_WIDTH = 8;
const WARMUP_SECONDS = 3;
// The length of a consultation over which its set-up and end are spread in the
// per-consultation-minute figures.
const CONSULTATION_MINUTES = 15;

function numbers(env: string | undefined, fallback: number[]): number[] {
  const xs = (env ?? '')
    .split(',')
    .map((x) => Number(x.trim()))
    .filter((x) => Number.isFinite(x) && x > 0);
  return xs.length ? xs.sort((a, b) => a - b) : fallback;
}

interface Hold {
  consultations: number;
  seconds: number;
  events: number;
  errors: number;
  errorTexts: string[];
  latency: ReturnType<typeof latencySummary>;
  byKind: Record<string, number>;
  // Cores' worth the server process(es) used, and the machine's share busy.
  cpuCores: number;
  machineBusy: number;
  rssMb: number;
  // Database (Hekim only): rows written, commits and audit records in the hold.
  rowsWritten?: number;
  commits?: number;
  auditRecords?: number;
}

interface Step {
  consultations: number;
  setup: {
    p50: number;
    p99: number;
    errors: number;
    byKind: Record<string, number>;
    // Per consultation set up (check-in → negotiated call → TURN refresh), database side.
    rows: number;
    commits: number;
    audit: number;
  };
  hekim: Hold;
  bare?: Hold;
  loadAverage: number[];
}

interface DbCounters {
  rows: number;
  commits: number;
  audit: number;
}

async function counters(pg: Client): Promise<DbCounters> {
  // Statistics are sent by each backend at most once a second: the counts of a hold are
  // within about a second's worth of the truth.
  await pg.query('SELECT pg_stat_clear_snapshot()');
  const s = await pg.query<{ rows: string; commits: string }>(
    `SELECT (tup_inserted + tup_updated + tup_deleted)::text AS rows, xact_commit::text AS commits
       FROM pg_stat_database WHERE datname = current_database()`,
  );
  const a = await pg.query<{ seq: string }>('SELECT seq::text AS seq FROM audit_chain_head');
  return {
    rows: Number(s.rows[0]?.rows ?? 0),
    commits: Number(s.rows[0]?.commits ?? 0),
    audit: Number(a.rows[0]?.seq ?? 0),
  };
}

// Holds every consultation of `cs` for `seconds` with the profile's traffic and measures it.
async function hold(
  cs: Consultation[],
  profile: Profile,
  seconds: number,
  pids: number[],
  rss: () => Promise<number>,
  pg?: Client,
): Promise<Hold> {
  const rec = new Recorder();
  for (const c of cs) startTraffic(c, profile, rec);
  // Unmeasured first seconds: the traffic is under way (and, on the first step, warm).
  await sleep(WARMUP_SECONDS * 1000);
  const db0 = pg ? await counters(pg) : undefined;
  const cpu0 = cpuSnapshot(pids);
  rec.measuring = true;
  await sleep(seconds * 1000);
  rec.measuring = false;
  const cpu1 = cpuSnapshot(pids);
  for (const c of cs) stopTraffic(c);
  // Let what is in flight arrive (it is no longer counted) before the other side runs.
  await sleep(1000);
  const db1 = pg ? await counters(pg) : undefined;
  const usage = cpuBetween(cpu0, cpu1);
  const elapsed = (cpu1.at - cpu0.at) / 1000;
  return {
    consultations: cs.length,
    seconds: elapsed,
    events: rec.samples.length,
    errors: rec.errors,
    errorTexts: rec.errorTexts,
    latency: latencySummary(rec.samples),
    byKind: Object.fromEntries([...rec.byKind].map(([k, v]) => [k, median(v)])),
    cpuCores: [...usage.processes.values()].reduce((s, x) => s + x, 0),
    machineBusy: usage.machine,
    rssMb: (await rss()) / 1024 ** 2,
    ...(db0 && db1
      ? {
          rowsWritten: db1.rows - db0.rows,
          commits: db1.commits - db0.commits,
          auditRecords: db1.audit - db0.audit,
        }
      : {}),
  };
}

interface Ramp {
  // The same hold with no consultation: what the instance(s) and the database do anyway
  // (socket upkeep, outbox and checkpoint timers), subtracted from the per-consultation figures.
  idle: Hold;
  bareIdle?: Hold;
  steps: Step[];
  held: number;
  stoppedBy: string;
  ends: ReturnType<typeof latencySummary>;
  // Per consultation ended (call:end, both leave), database side.
  endDb: DbCounters;
}

// Consultations between Hekim users (one doctor and one patient each, the patient's consent
// given, the appointment booked), made as the ramp needs them.
async function makeConsultations(
  lab: Lab,
  base: string,
  count: number,
  offset: number,
): Promise<Consultation[]> {
  const admin = await lab.admin(base);
  const doctors = await createUsers(base, admin, 'doctor', count, 'capdoc');
  const patients = await createUsers(base, admin, 'patient', count, 'cappat');
  const dt = await loginAll(base, doctors);
  const pt = await loginAll(base, patients);
  const out: Consultation[] = [];
  await pool(count, 4, async (i) => {
    const k = offset + i;
    const c: Consultation = {
      doctor: { id: doctors[i].id, token: dt[i].accessToken, address: `127.0.1.${k % 250}` },
      patient: {
        id: patients[i].id,
        token: pt[i].accessToken,
        address: `127.0.2.${k % 250}`,
      },
      roomId: '',
      timers: [],
      chats: 0,
    };
    await grantConsent(base, c.patient.token ?? '');
    await book(base, c);
    out[i] = c;
  });
  return out;
}

function bareTwin(c: Consultation): Consultation {
  return {
    doctor: { id: c.doctor.id, address: c.doctor.address },
    patient: { id: c.patient.id, address: c.patient.address },
    roomId: c.roomId,
    timers: [],
    chats: 0,
  };
}

async function ramp(
  lab: Lab,
  steps: number[],
  profile: Profile,
  holdSeconds: number,
  instances: HekimInstance[],
  bareUrl: string | undefined,
  barePid: number,
  bareRss: () => Promise<number>,
  pg: Client,
): Promise<Ramp> {
  const hekim: Consultation[] = [];
  const bare: Consultation[] = [];
  const out: Step[] = [];
  let stoppedBy = `the last step (${steps[steps.length - 1]})`;
  const pids = instances.map((h) => h.pid);
  let endDb: DbCounters | undefined;
  let endLatency: ReturnType<typeof latencySummary> | undefined;
  const rss = (): Promise<number> => Promise.resolve(pids.reduce((s, p) => s + rssOf(p), 0));
  const idle = await hold([], profile, holdSeconds, pids, rss, pg);
  const bareIdle = bareUrl ? await hold([], profile, holdSeconds, [barePid], bareRss) : undefined;
  try {
    for (const n of steps) {
      const fresh = await makeConsultations(lab, instances[0].url, n - hekim.length, hekim.length);
      const setup = new Recorder();
      setup.measuring = true;
      const before = await counters(pg);
      const failed = new Set<Consultation>();
      // Two instances: each doctor on one, the patient on the other (every event crosses Redis).
      await pool(fresh.length, SETUP_WIDTH, async (i) => {
        const c = fresh[i];
        const k = hekim.length + i;
        const base = instances[k % instances.length].url;
        const other = instances[(k + 1) % instances.length].url;
        // A failure is counted by the recorder and stops the ramp after this step.
        await begin('hekim', base, c, setup, other).catch(() => failed.add(c));
      });
      await sleep(1000);
      const after = await counters(pg);
      for (const c of failed) void end(c, new Recorder()).catch(() => undefined);
      hekim.push(...fresh.filter((c) => !failed.has(c)));
      if (bareUrl) {
        const twins = fresh.map(bareTwin);
        await pool(twins.length, SETUP_WIDTH, (i) =>
          begin('bare', bareUrl, twins[i], new Recorder()).catch(() => undefined),
        );
        bare.push(...twins);
      }
      const h = await hold(hekim, profile, holdSeconds, pids, rss, pg);
      const b = bareUrl ? await hold(bare, profile, holdSeconds, [barePid], bareRss) : undefined;
      const step: Step = {
        consultations: n,
        setup: {
          p50: latencySummary(setup.samples).p50,
          p99: latencySummary(setup.samples).p99,
          errors: setup.errors,
          rows: (after.rows - before.rows) / fresh.length,
          commits: (after.commits - before.commits) / fresh.length,
          audit: (after.audit - before.audit) / fresh.length,
          byKind: Object.fromEntries([...setup.byKind].map(([k, v]) => [k, median(v)])),
        },
        hekim: h,
        ...(b ? { bare: b } : {}),
        loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
      };
      out.push(step);
      lab.log(
        `   ${n} consultations: p99 ${fmt(h.latency.p99)} ms (bare ${fmt(b?.latency.p99 ?? NaN)}), ` +
          `CPU ${fmt(h.cpuCores)} cores (bare ${fmt(b?.cpuCores ?? NaN)}), RSS ${fmt(h.rssMb)} MB, ` +
          `errors ${h.errors + setup.errors}, load ${step.loadAverage.join(' ')}`,
      );
      if (setup.errors + h.errors > 0) {
        stoppedBy = `errors at ${n} (${[...setup.errorTexts, ...h.errorTexts][0] ?? ''})`;
        break;
      }
      if (h.latency.p99 > P99_STOP_MS) {
        stoppedBy = `p99 ${fmt(h.latency.p99)} ms > ${P99_STOP_MS} ms at ${n}`;
        break;
      }
    }
  } finally {
    const endRec = new Recorder();
    endRec.measuring = true;
    const before = await counters(pg);
    await pool(hekim.length, SETUP_WIDTH, (i) => end(hekim[i], endRec).catch(() => undefined));
    await sleep(1000);
    const after = await counters(pg);
    const n = Math.max(1, hekim.length);
    endDb = {
      rows: (after.rows - before.rows) / n,
      commits: (after.commits - before.commits) / n,
      audit: (after.audit - before.audit) / n,
    };
    endLatency = latencySummary(endRec.samples);
    await pool(bare.length, SETUP_WIDTH, (i) =>
      end(bare[i], new Recorder()).catch(() => undefined),
    );
  }
  {
    const held = out.filter((s) => s.hekim.errors === 0 && s.hekim.latency.p99 <= P99_HELD_MS);
    return {
      idle,
      ...(bareIdle ? { bareIdle } : {}),
      steps: out,
      held: held.length ? held[held.length - 1].consultations : 0,
      stoppedBy,
      ends: endLatency,
      endDb,
    };
  }
}

// A count of the hold per consultation-minute, less what the idle hold counted in as long.
function perMinute(h: Hold, idle: Hold, of: (x: Hold) => number | undefined): number {
  const x = of(h);
  const i = of(idle);
  if (x === undefined || i === undefined) return Number.NaN;
  return (x - (i * h.seconds) / idle.seconds) / ((h.consultations * h.seconds) / 60);
}

// Cores' worth per consultation (millicores), less the idle hold's.
const cpuPer = (h: Hold, idle: Hold): number =>
  ((h.cpuCores - idle.cpuCores) * 1000) / h.consultations;

// Memory per consultation: the slope of RSS over the consultations held, first to last step.
function slopeMb(steps: Step[], of: (s: Step) => number | undefined): number {
  const xs = steps.filter((s) => of(s) !== undefined);
  if (xs.length < 2) return Number.NaN;
  const first = xs[0];
  const last = xs[xs.length - 1];
  return ((of(last) ?? 0) - (of(first) ?? 0)) / (last.consultations - first.consultations);
}

export async function consultationCapacity(lab: Lab): Promise<ScenarioResult> {
  const quick = lab.settings.quick;
  const steps = numbers(process.env.BENCH_CAPACITY_STEPS, quick ? [2, 4] : [10, 20, 40, 80]);
  const holdSeconds = Number(process.env.BENCH_CAPACITY_HOLD ?? (quick ? 6 : 15));
  const profile: Profile = {
    statsSeconds: Number(process.env.BENCH_CAPACITY_STATS ?? 5),
    chatSeconds: Number(process.env.BENCH_CAPACITY_CHAT ?? 30),
  };
  const two = process.env.BENCH_CAPACITY_TWO !== '0';
  // BENCH_CAPACITY_NO_RELAY=1: the instances run without the outbox relay (mails, webhooks),
  // to tell its share of the database's time (only when this scenario starts them).
  const env: Record<string, string> =
    process.env.BENCH_CAPACITY_NO_RELAY === '1' ? { NOTIFY_RELAY_ENABLED: 'false' } : {};
  const h = await lab.hekim(0, env);
  const bare = await lab.bareServer();
  const db = await lab.database();
  const pg = new Client({ connectionString: db.url });
  await pg.connect();
  try {
    lab.log(
      `  one instance: steps ${steps.join(', ')}, ${holdSeconds} s held each, paired with the bare relay`,
    );
    const one = await ramp(
      lab,
      steps,
      profile,
      holdSeconds,
      [h],
      bare.url,
      bare.pid,
      async () => (await bare.mem()).rss,
      pg,
    );
    let pairOf: Ramp | undefined;
    if (two) {
      const h2 = await lab.hekim(1, env);
      lab.log('  two instances over Redis (doctor on one, patient on the other)');
      pairOf = await ramp(
        lab,
        numbers(
          process.env.BENCH_CAPACITY_TWO_STEPS,
          steps.length > 1 ? steps.slice(0, -1) : steps,
        ),
        profile,
        holdSeconds,
        [h, h2],
        undefined,
        0,
        () => Promise.resolve(0),
        pg,
      );
    }
    return report(one, pairOf, profile, holdSeconds, steps);
  } finally {
    await pg.end();
  }
}

function report(
  one: Ramp,
  two: Ramp | undefined,
  profile: Profile,
  holdSeconds: number,
  steps: number[],
): ScenarioResult {
  const paired = one.steps.filter((s) => s.bare);
  const bareIdle = one.bareIdle ?? one.idle;
  const cpuRatio = spread(
    pairedRatios(
      paired.map((s) => cpuPer(s.hekim, one.idle)),
      paired.map((s) => (s.bare ? cpuPer(s.bare, bareIdle) : NaN)),
    ),
  );
  const last = one.steps[one.steps.length - 1];
  const cpuOf = (r: Ramp): number => median(r.steps.map((s) => cpuPer(s.hekim, r.idle)));
  const bareCpuPer = median(paired.map((s) => (s.bare ? cpuPer(s.bare, bareIdle) : NaN)));
  const memPer = slopeMb(one.steps, (s) => s.hekim.rssMb);
  const bareMemPer = slopeMb(paired, (s) => s.bare?.rssMb);
  const minute = (of: (x: Hold) => number | undefined): number =>
    median(one.steps.map((s) => perMinute(s.hekim, one.idle, of)));
  const writes = minute((x) => x.rowsWritten);
  const commits = minute((x) => x.commits);
  const audit = minute((x) => x.auditRecords);
  // The set-up and the end, per consultation (median over the steps' batches).
  const life = (of: (x: DbCounters) => number): number =>
    median(one.steps.map((s) => of(s.setup))) + of(one.endDb);
  const lifeRows = life((x) => x.rows);
  const lifeCommits = life((x) => x.commits);
  const lifeAudit = life((x) => x.audit);
  const per = (held: number, lifecycle: number): string =>
    fmt(held + lifecycle / CONSULTATION_MINUTES, 1);
  const bareHeld = paired.filter(
    (s) => (s.bare?.errors ?? 1) === 0 && (s.bare?.latency.p99 ?? Infinity) <= P99_HELD_MS,
  );
  const bareN = bareHeld.length ? bareHeld[bareHeld.length - 1].consultations : 0;
  const atMost = (r: Ramp): string =>
    r.stoppedBy.startsWith('the last step') && r.held === steps[steps.length - 1] ? '≥ ' : '';
  const rows: ScenarioResult['rows'] = [
    {
      scenario: '9',
      metric: 'consultations held at p99 ≤ 50 ms (one instance)',
      hekim: `${atMost(one)}${one.held}`,
      baseline: `${bareN === steps[steps.length - 1] ? '≥ ' : ''}${bareN}`,
      ratio: `ramp stopped by ${one.stoppedBy}`,
      bar: 'report',
      verdict: 'REPORT',
    },
    {
      scenario: '9',
      metric: 'CPU per consultation (millicores over idle, median of steps)',
      hekim: fmt(cpuOf(one)),
      baseline: fmt(bareCpuPer),
      ratio: fmtSpread(cpuRatio, 1, '×'),
      bar: 'report',
      verdict: 'REPORT',
    },
    {
      scenario: '9',
      metric: 'memory per consultation (MB of RSS, slope)',
      hekim: fmt(memPer),
      baseline: fmt(bareMemPer),
      ratio: fmt(memPer / bareMemPer, 1) + '×',
      bar: 'report',
      verdict: 'REPORT',
    },
    {
      scenario: '9',
      metric: 'per consultation (check-in … leave): rows written / commits / audit records',
      hekim: `${fmt(lifeRows, 1)} / ${fmt(lifeCommits, 1)} / ${fmt(lifeAudit, 1)}`,
      baseline: '— (stores nothing)',
      ratio: '—',
      bar: 'report',
      verdict: 'REPORT',
    },
    {
      scenario: '9',
      metric: `per consultation-minute (${CONSULTATION_MINUTES}-min consultation): rows / commits / audit records`,
      hekim: `${per(writes, lifeRows)} / ${per(commits, lifeCommits)} / ${per(audit, lifeAudit)}`,
      baseline: '— (stores nothing)',
      ratio: '—',
      bar: 'report',
      verdict: 'REPORT',
    },
    {
      scenario: '9',
      metric: 'per consultation-minute, held: rows written / commits / audit records',
      hekim: `${fmt(writes, 1)} / ${fmt(commits, 1)} / ${fmt(audit, 2)}`,
      baseline: '— (stores nothing)',
      ratio: '—',
      bar: 'report',
      verdict: 'REPORT',
    },
  ];
  if (two)
    rows.push({
      scenario: '9',
      metric: 'consultations held at p99 ≤ 50 ms (two instances, Redis)',
      hekim: `${atMost(two)}${two.held}`,
      baseline: '—',
      ratio: `ramp stopped by ${two.stoppedBy}; CPU ${fmt(cpuOf(two))} millicores/consultation (both)`,
      bar: 'report',
      verdict: 'REPORT',
    });
  return {
    id: 's9',
    title: 'Consultation capacity',
    rows,
    // Not charted: the CPU ratio is a cost (higher is worse) on another scale than the chart's
    // throughput ratios, and the held latencies under load would flatten its latency panel.
    ratios: [],
    latencies: [],
    notes: [
      `steps ${steps.join(', ')} consultations, each held ${holdSeconds} s (real time); call:stats every ` +
        `${profile.statsSeconds} s per side, a chat message every ${profile.chatSeconds} s; each step is a paired round ` +
        '(Hekim held, then the bare relay with the same consultations); the ratio is the median of the per-step ratios',
      `set-up medians at the last step (ms): ${Object.entries(last?.setup.byKind ?? {})
        .map(([k, v]) => `${k} ${fmt(v)}`)
        .join(', ')}; end (call:end + leave) p50 ${fmt(one.ends.p50)} ms`,
      `idle (no consultation, subtracted): Hekim ${fmt(one.idle.cpuCores * 1000)} millicores, ` +
        `${fmt(((one.idle.commits ?? 0) * 60) / one.idle.seconds)} commits and ` +
        `${fmt(((one.idle.auditRecords ?? 0) * 60) / one.idle.seconds)} audit records a minute`,
      `load average at each step: ${one.steps.map((s) => `${s.consultations}: ${s.loadAverage[0]}`).join(', ')}`,
    ],
    data: { steps, holdSeconds, profile, one, ...(two ? { two } : {}) },
  };
}
