// Scenario 9: consultation capacity. Simulated consultations (bench/lib/consult.ts: check-in,
// queue updates, admission, a call with offer/answer/candidates, a TURN refresh, `call:stats`
// every 5 s from both sides, a chat message every 30 s, leave) are added step by step to one
// Hekim instance in server mode; at each step every consultation is held for a while and the
// signaling latency of what they do (acks of `call:stats` and `chat:send`, the chat's delivery
// to the other side) is measured, with the instance's CPU, its memory after a full collection,
// and the database's writes and audit records. The ramp grows by half a step each time
// (20, 30, 45, 70, 110, 170, …) until the p99 passes 100 ms or anything fails, within a time
// budget; a step whose p99 passes 50 ms is held a second time, and that hold decides it. Each step is a paired round: the same number of consultations, with the same
// profile, held on the bare relay right after Hekim's hold. Then the same ramp on two instances
// over Redis (each consultation's doctor on one, its patient on the other).
//
// Settings (environment; docs/performance.md): BENCH_CAPACITY_STEPS (a fixed list of
// consultations at each step instead of the open ramp), BENCH_CAPACITY_START and
// BENCH_CAPACITY_GROWTH (the open ramp's first step and factor, 20 and 1.5),
// BENCH_CAPACITY_MINUTES (the one-instance ramp's time budget, 12: no step starts that would
// likely end after it), BENCH_CAPACITY_HOLD (seconds held per step, default 15), BENCH_CAPACITY_STATS /
// BENCH_CAPACITY_CHAT (seconds between a side's `call:stats` and between chat messages;
// default 5 and 30, real time: set them lower to compress time), BENCH_CAPACITY_TWO=0 to skip
// the two-instance ramp, BENCH_CAPACITY_TWO_STEPS for its own fixed steps (default: the open
// ramp up to the step after the one instance's stopping step) and BENCH_CAPACITY_TWO_MINUTES
// for its budget (5), BENCH_CAPACITY_STOP_MS for the p99 that stops the ramp (100),
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
import {
  benchAddress,
  createUsers,
  grantConsent,
  loginAll,
  pool,
  type HekimInstance,
} from '../lib/hekim';
import { Inspector, inspectArgs } from '../lib/inspector';
import type { Lab } from '../lib/lab';
import { startBare } from '../lib/procs';
import { sleep } from '../lib/signaling';
import {
  fmt,
  fmtSpread,
  geometricSteps,
  latencySummary,
  linearFit,
  median,
  pairedRatios,
  spread,
} from '../lib/stats';

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
// PostgreSQL (15) sends a backend's table statistics at most once a second while it is busy,
// and 10 s (PGSTAT_IDLE_INTERVAL) after it went idle when the last report was under a second
// before: a count read sooner than that after a stretch of work misses part of it and finds it
// in the next stretch. Every count that brackets a stretch is read this long after its work.
const STATS_SETTLE_MS = 11_000;

function numbers(env: string | undefined): number[] | undefined {
  const xs = (env ?? '')
    .split(',')
    .map((x) => Number(x.trim()))
    .filter((x) => Number.isFinite(x) && x > 0);
  return xs.length ? xs.sort((a, b) => a - b) : undefined;
}

interface Hold {
  consultations: number;
  // The measured window (after the warm-up).
  seconds: number;
  // From the first to the last second of traffic (warm-up included): what the database
  // counts of the hold are divided by.
  trafficSeconds: number;
  events: number;
  errors: number;
  errorTexts: string[];
  latency: ReturnType<typeof latencySummary>;
  byKind: Record<string, number>;
  // Cores' worth the server process(es) used, and the machine's share busy.
  cpuCores: number;
  machineBusy: number;
  // After the hold and a full collection (through the inspector), summed over the instances.
  memory?: Memory;
  // Database (Hekim only), over the traffic: see DbCounters.
  db?: DbCounters;
}

interface Memory {
  rssMb: number;
  // heapUsed + external (buffers, sockets' native memory), MB.
  retainedMb: number;
}

interface Step {
  consultations: number;
  setup: {
    p50: number;
    p99: number;
    errors: number;
    byKind: Record<string, number>;
    // Per consultation set up (check-in → negotiated call → TURN refresh), database side.
    db: DbCounters;
  };
  hekim: Hold;
  // Held again when the first hold's p99 passed 50 ms: this one decides the step (judged).
  recheck?: Hold;
  bare?: Hold;
  // Seconds from the step's start (accounts) to the end of its holds.
  seconds: number;
  loadAverage: number[];
}

// Rows of the application's tables (pg_stat_user_tables: the catalogs, which a migration's
// DDL writes thousands of, are not counted), transactions committed (pg_stat_database,
// read-only ones included) and audit records (the chain's head).
interface DbCounters {
  inserted: number;
  updated: number;
  deleted: number;
  commits: number;
  audit: number;
}

const written = (d: DbCounters): number => d.inserted + d.updated;

async function counters(pg: Client): Promise<DbCounters> {
  await pg.query('SELECT pg_stat_clear_snapshot()');
  const t = await pg.query<{ ins: string; upd: string; del: string }>(
    `SELECT coalesce(sum(n_tup_ins), 0)::text AS ins, coalesce(sum(n_tup_upd), 0)::text AS upd,
            coalesce(sum(n_tup_del), 0)::text AS del
       FROM pg_stat_user_tables`,
  );
  const c = await pg.query<{ commits: string }>(
    `SELECT xact_commit::text AS commits FROM pg_stat_database WHERE datname = current_database()`,
  );
  const a = await pg.query<{ seq: string }>(
    'SELECT seq::text AS seq FROM audit_chain_head WHERE id = 1',
  );
  return {
    inserted: Number(t.rows[0]?.ins ?? 0),
    updated: Number(t.rows[0]?.upd ?? 0),
    deleted: Number(t.rows[0]?.del ?? 0),
    commits: Number(c.rows[0]?.commits ?? 0),
    audit: Number(a.rows[0]?.seq ?? 0),
  };
}

function minus(a: DbCounters, b: DbCounters, per = 1): DbCounters {
  return {
    inserted: (a.inserted - b.inserted) / per,
    updated: (a.updated - b.updated) / per,
    deleted: (a.deleted - b.deleted) / per,
    commits: (a.commits - b.commits) / per,
    audit: (a.audit - b.audit) / per,
  };
}

// Waits until the statistics of work that ended at `since` (ms) have been reported.
async function settledSince(since: number): Promise<void> {
  const left = since + STATS_SETTLE_MS - Date.now();
  if (left > 0) await sleep(left);
}

interface Side {
  pids: number[];
  inspectors: Inspector[];
}

async function retained(side: Side): Promise<Memory> {
  const ms = await Promise.all(side.inspectors.map((i) => i.retained()));
  return {
    rssMb: ms.reduce((s, m) => s + m.rss, 0) / 1024 ** 2,
    retainedMb: ms.reduce((s, m) => s + m.heapUsed + m.external, 0) / 1024 ** 2,
  };
}

// Holds every consultation of `cs` for `seconds` with the profile's traffic and measures it.
// With `pg`, the database's counts are read when the traffic starts (the caller has let the
// statistics of what came before settle) and after it stopped (this waits for them to settle).
async function hold(
  cs: Consultation[],
  profile: Profile,
  seconds: number,
  side: Side,
  pg?: Client,
  whileSettling?: () => Promise<void>,
): Promise<Hold> {
  const db0 = pg ? await counters(pg) : undefined;
  const rec = new Recorder();
  const started = Date.now();
  for (const c of cs) startTraffic(c, profile, rec);
  // Unmeasured first seconds: the traffic is under way (and, on the first step, warm).
  await sleep(WARMUP_SECONDS * 1000);
  const cpu0 = cpuSnapshot(side.pids);
  rec.measuring = true;
  await sleep(seconds * 1000);
  rec.measuring = false;
  const cpu1 = cpuSnapshot(side.pids);
  for (const c of cs) stopTraffic(c);
  const stopped = Date.now();
  // Let what is in flight arrive (it is no longer counted) before anything else runs.
  await sleep(1000);
  const memory = side.inspectors.length ? await retained(side) : undefined;
  await whileSettling?.();
  let db: DbCounters | undefined;
  if (pg && db0) {
    await settledSince(stopped);
    db = minus(await counters(pg), db0);
  }
  const usage = cpuBetween(cpu0, cpu1);
  return {
    consultations: cs.length,
    seconds: (cpu1.at - cpu0.at) / 1000,
    trafficSeconds: (stopped - started) / 1000,
    events: rec.samples.length,
    errors: rec.errors,
    errorTexts: rec.errorTexts,
    latency: latencySummary(rec.samples),
    byKind: Object.fromEntries([...rec.byKind].map(([k, v]) => [k, median(v)])),
    cpuCores: [...usage.processes.values()].reduce((s, x) => s + x, 0),
    machineBusy: usage.machine,
    ...(memory ? { memory } : {}),
    ...(db ? { db } : {}),
  };
}

interface Ramp {
  // The same hold with no consultation: what the instance(s) and the database do anyway
  // (socket upkeep, outbox and compliance timers), subtracted from the per-consultation figures.
  idle: Hold;
  bareIdle?: Hold;
  steps: Step[];
  held: number;
  stoppedBy: string;
  // True when the ramp stopped for lack of steps or time, not by latency or errors: `held`
  // is then a lower bound.
  heldIsLowerBound: boolean;
  ends: ReturnType<typeof latencySummary>;
  // Per consultation ended (call:end, both leave), database side.
  endDb: DbCounters;
  seconds: number;
}

// Consultations between Hekim users (one doctor and one patient each, the patient's consent
// given, the appointment booked), made as the ramp needs them. Every request comes from one of
// many loopback addresses, as from many clients (the per-address limits hold as deployed).
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
    await grantConsent(base, c.patient.token ?? '', benchAddress(k));
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

interface Bare {
  url: string;
  side: Side;
}

async function ramp(
  lab: Lab,
  steps: number[],
  budgetMinutes: number,
  profile: Profile,
  holdSeconds: number,
  instances: HekimInstance[],
  side: Side,
  bare: Bare | undefined,
  pg: Client,
): Promise<Ramp> {
  const t0 = Date.now();
  const hekim: Consultation[] = [];
  const bareCs: Consultation[] = [];
  const out: Step[] = [];
  let stoppedBy = `the last step (${steps[steps.length - 1]})`;
  let lowerBound = true;
  let endDb: DbCounters | undefined;
  let endLatency: ReturnType<typeof latencySummary> | undefined;
  // The instances' start-up (migrations, the admin's account) reported before the idle hold.
  await sleep(STATS_SETTLE_MS);
  const idle = await hold([], profile, holdSeconds, side, pg);
  const bareIdle = bare ? await hold([], profile, holdSeconds, bare.side) : undefined;
  try {
    for (const n of steps) {
      // No step starts that would likely end after the budget: the next one takes about as
      // long as the last, and longer with more consultations to set up.
      const last = out[out.length - 1];
      const elapsed = (Date.now() - t0) / 60_000;
      const estimate = last ? (last.seconds / 60) * Math.max(1, n / last.consultations) : 0;
      if (elapsed + estimate > budgetMinutes) {
        stoppedBy = `the time budget (${budgetMinutes} min) before ${n}`;
        break;
      }
      const stepStart = Date.now();
      const fresh = await makeConsultations(lab, instances[0].url, n - hekim.length, hekim.length);
      const setup = new Recorder();
      setup.measuring = true;
      await settledSince(Date.now());
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
      const setupDone = Date.now();
      for (const c of failed) void end(c, new Recorder()).catch(() => undefined);
      hekim.push(...fresh.filter((c) => !failed.has(c)));
      if (bare) {
        const twins = fresh.map(bareTwin);
        await pool(twins.length, SETUP_WIDTH, (i) =>
          begin('bare', bare.url, twins[i], new Recorder()).catch(() => undefined),
        );
        bareCs.push(...twins);
      }
      await settledSince(setupDone);
      const afterSetup = await counters(pg);
      // The bare relay's hold runs while Hekim's statistics settle.
      let b: Hold | undefined;
      const h = await hold(hekim, profile, holdSeconds, side, pg, async () => {
        if (bare) b = await hold(bareCs, profile, holdSeconds, bare.side);
      });
      // A hold's p99 rests on a few hundred samples, and one stall of this shared machine
      // (another process, the bench's own collection) moves it past 50 ms on its own: a step
      // past 50 ms is held once more and the second hold decides. Both are reported; a step
      // that is really saturated passes it twice.
      const recheck =
        setup.errors + h.errors === 0 && h.latency.p99 > P99_HELD_MS
          ? await hold(hekim, profile, holdSeconds, side)
          : undefined;
      const judged = recheck ?? h;
      const step: Step = {
        consultations: n,
        setup: {
          p50: latencySummary(setup.samples).p50,
          p99: latencySummary(setup.samples).p99,
          errors: setup.errors,
          db: minus(afterSetup, before, fresh.length),
          byKind: Object.fromEntries([...setup.byKind].map(([k, v]) => [k, median(v)])),
        },
        hekim: h,
        ...(recheck ? { recheck } : {}),
        ...(b ? { bare: b } : {}),
        seconds: (Date.now() - stepStart) / 1000,
        loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
      };
      out.push(step);
      lab.log(
        `   ${n} consultations: p99 ${fmt(h.latency.p99)} ms${recheck ? `, held again ${fmt(recheck.latency.p99)} ms` : ''} (bare ${fmt(b?.latency.p99 ?? NaN)}), ` +
          `CPU ${fmt(h.cpuCores)} cores (bare ${fmt(b?.cpuCores ?? NaN)}), ` +
          `retained ${fmt(h.memory?.retainedMb ?? NaN)} MB, RSS ${fmt(h.memory?.rssMb ?? NaN)} MB, ` +
          `rows ${fmt(h.db ? written(h.db) : NaN)}, errors ${h.errors + setup.errors}, ` +
          `${fmt(step.seconds, 0)} s, load ${step.loadAverage.join(' ')}`,
      );
      if (setup.errors + judged.errors > 0) {
        stoppedBy = `errors at ${n} (${[...setup.errorTexts, ...judged.errorTexts][0] ?? ''})`;
        lowerBound = false;
        break;
      }
      if (judged.latency.p99 > P99_STOP_MS) {
        stoppedBy = `p99 ${fmt(judged.latency.p99)} ms > ${P99_STOP_MS} ms at ${n}${recheck ? ` (held twice: ${fmt(h.latency.p99)}, ${fmt(recheck.latency.p99)})` : ''}`;
        lowerBound = false;
        break;
      }
    }
  } finally {
    const endRec = new Recorder();
    endRec.measuring = true;
    const before = await counters(pg);
    await pool(hekim.length, SETUP_WIDTH, (i) => end(hekim[i], endRec).catch(() => undefined));
    const ended = Date.now();
    await pool(bareCs.length, SETUP_WIDTH, (i) =>
      end(bareCs[i], new Recorder()).catch(() => undefined),
    );
    await settledSince(ended);
    endDb = minus(await counters(pg), before, Math.max(1, hekim.length));
    endLatency = latencySummary(endRec.samples);
  }
  const held = out.filter((s) => {
    const judged = s.recheck ?? s.hekim;
    return judged.errors === 0 && judged.latency.p99 <= P99_HELD_MS;
  });
  const heldN = held.length ? held[held.length - 1].consultations : 0;
  return {
    idle,
    ...(bareIdle ? { bareIdle } : {}),
    steps: out,
    held: heldN,
    stoppedBy,
    // The ramp ran out of steps or time while still holding p99 ≤ 50 ms at its last step.
    heldIsLowerBound: lowerBound && heldN > 0 && heldN === out[out.length - 1]?.consultations,
    ends: endLatency,
    endDb,
    seconds: (Date.now() - t0) / 1000,
  };
}

// A count of the hold per consultation-minute of traffic, less what the idle hold counted in
// as long.
function perMinute(h: Hold, idle: Hold, of: (x: DbCounters) => number): number {
  if (!h.db || !idle.db || h.consultations === 0) return Number.NaN;
  const x = of(h.db);
  const i = of(idle.db);
  return (
    (x - (i * h.trafficSeconds) / idle.trafficSeconds) / ((h.consultations * h.trafficSeconds) / 60)
  );
}

// Cores' worth per consultation (millicores), less the idle hold's.
const cpuPer = (h: Hold, idle: Hold): number =>
  ((h.cpuCores - idle.cpuCores) * 1000) / h.consultations;

// Memory per consultation: the least-squares slope of the memory read after a full
// collection at the end of each step's hold over the consultations held, in KB per
// consultation, with r². The idle reading (0 consultations) is left out of the fit: between it
// and the first step the process also grows by what any first traffic costs once (compiled
// code, the database pool's connections, caches), which is not a cost per consultation.
function memorySlope(holds: Hold[], of: (m: Memory) => number): { kb: number; r2: number } {
  const xs = holds.filter((h) => h.memory);
  const fit = linearFit(
    xs.map((h) => h.consultations),
    xs.map((h) => of(h.memory as Memory) * 1024),
  );
  return { kb: fit.slope, r2: fit.r2 };
}

async function startInspected(
  lab: Lab,
  n: number,
  env: Record<string, string>,
): Promise<{ h: HekimInstance; inspector: Inspector }> {
  const db = await lab.database();
  const ins = await inspectArgs();
  lab.log(`  starting Hekim (server mode, instance ${n}, inspector on loopback)`);
  const h = await lab.start({
    mode: 'server',
    databaseUrl: db.url,
    redisPrefix: lab.redisPrefix,
    env,
    nodeArgs: ins.args,
  });
  const inspector = await Inspector.connect(ins.port);
  lab.onClose(() => Promise.resolve(inspector.close()));
  return { h, inspector };
}

export async function consultationCapacity(lab: Lab): Promise<ScenarioResult> {
  const quick = lab.settings.quick;
  const fixed = numbers(process.env.BENCH_CAPACITY_STEPS);
  const start = Number(process.env.BENCH_CAPACITY_START ?? 20);
  const growth = Number(process.env.BENCH_CAPACITY_GROWTH ?? 1.5);
  const steps = fixed ?? (quick ? [2, 4] : geometricSteps(start, growth));
  const budget = Number(process.env.BENCH_CAPACITY_MINUTES ?? (quick ? 2 : 12));
  const holdSeconds = Number(process.env.BENCH_CAPACITY_HOLD ?? (quick ? 6 : 15));
  const profile: Profile = {
    statsSeconds: Number(process.env.BENCH_CAPACITY_STATS ?? 5),
    chatSeconds: Number(process.env.BENCH_CAPACITY_CHAT ?? 30),
  };
  const two = process.env.BENCH_CAPACITY_TWO !== '0';
  // BENCH_CAPACITY_NO_RELAY=1: the instances run without the outbox relay (mails, webhooks),
  // to tell its share of the database's time.
  const env: Record<string, string> =
    process.env.BENCH_CAPACITY_NO_RELAY === '1' ? { NOTIFY_RELAY_ENABLED: 'false' } : {};
  // Instances of this scenario's own, started with the inspector (memory after a full
  // collection), and the bare relay likewise.
  const first = await startInspected(lab, 1, env);
  const bi = await inspectArgs();
  const bareServer = await startBare(bi.args);
  lab.onClose(() => bareServer.stop());
  const bareInspector = await Inspector.connect(bi.port);
  lab.onClose(() => Promise.resolve(bareInspector.close()));
  const bare: Bare = {
    url: bareServer.url,
    side: { pids: [bareServer.pid], inspectors: [bareInspector] },
  };
  const db = await lab.database();
  const pg = new Client({ connectionString: db.url });
  await pg.connect();
  try {
    lab.log(
      `  one instance: ${fixed || quick ? `steps ${steps.join(', ')}` : `steps ${start}, ×${growth} … until p99 > ${P99_STOP_MS} ms, an error or ${budget} min`}, ` +
        `${holdSeconds} s held each, paired with the bare relay`,
    );
    const one = await ramp(
      lab,
      steps,
      budget,
      profile,
      holdSeconds,
      [first.h],
      { pids: [first.h.pid], inspectors: [first.inspector] },
      bare,
      pg,
    );
    let pairOf: Ramp | undefined;
    if (two) {
      const second = await startInspected(lab, 2, env);
      const stop = one.steps[one.steps.length - 1]?.consultations ?? steps[0];
      const twoSteps =
        numbers(process.env.BENCH_CAPACITY_TWO_STEPS) ??
        (fixed || quick
          ? steps.length > 1
            ? steps.slice(0, -1)
            : steps
          : steps.filter((n, i) => i === 0 || steps[i - 1] <= stop));
      lab.log(
        `  two instances over Redis (doctor on one, patient on the other): ${twoSteps.join(', ')}`,
      );
      pairOf = await ramp(
        lab,
        twoSteps,
        Number(process.env.BENCH_CAPACITY_TWO_MINUTES ?? (quick ? 2 : 5)),
        profile,
        holdSeconds,
        [first.h, second.h],
        { pids: [first.h.pid, second.h.pid], inspectors: [first.inspector, second.inspector] },
        undefined,
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
  // Per-consultation costs from the steps with no error (a step whose events failed did less
  // work than its consultations ask for); all of them if none is clean. Memory is fitted over
  // every step: what is held does not depend on whether the events succeeded.
  const clean = (r: Ramp): Step[] => {
    const ok = r.steps.filter((s) => s.setup.errors + s.hekim.errors === 0);
    return ok.length ? ok : r.steps;
  };
  const paired = one.steps.filter((s) => s.bare);
  const cleanPaired = clean(one).filter((s) => s.bare);
  const bareIdle = one.bareIdle ?? one.idle;
  const cpuRatio = spread(
    pairedRatios(
      cleanPaired.map((s) => cpuPer(s.hekim, one.idle)),
      cleanPaired.map((s) => (s.bare ? cpuPer(s.bare, bareIdle) : NaN)),
    ),
  );
  const last = one.steps[one.steps.length - 1];
  const cpuOf = (r: Ramp): number => median(clean(r).map((s) => cpuPer(s.hekim, r.idle)));
  const bareCpuPer = median(cleanPaired.map((s) => (s.bare ? cpuPer(s.bare, bareIdle) : NaN)));
  const heap = memorySlope(
    one.steps.map((s) => s.hekim),
    (m) => m.retainedMb,
  );
  const rss = memorySlope(
    one.steps.map((s) => s.hekim),
    (m) => m.rssMb,
  );
  const bareHeap = memorySlope(
    paired.map((s) => s.bare as Hold),
    (m) => m.retainedMb,
  );
  const bareRss = memorySlope(
    paired.map((s) => s.bare as Hold),
    (m) => m.rssMb,
  );
  const minute = (of: (x: DbCounters) => number): number =>
    median(clean(one).map((s) => perMinute(s.hekim, one.idle, of)));
  const writes = minute(written);
  const deletes = minute((x) => x.deleted);
  const commits = minute((x) => x.commits);
  const audit = minute((x) => x.audit);
  // The set-up and the end, per consultation (median over the steps' batches).
  const life = (of: (x: DbCounters) => number): number =>
    median(clean(one).map((s) => of(s.setup.db))) + of(one.endDb);
  const lifeRows = life(written);
  const lifeCommits = life((x) => x.commits);
  const lifeAudit = life((x) => x.audit);
  const per = (held: number, lifecycle: number): string =>
    fmt(held + lifecycle / CONSULTATION_MINUTES, 1);
  const bareHeld = paired.filter(
    (s) => (s.bare?.errors ?? 1) === 0 && (s.bare?.latency.p99 ?? Infinity) <= P99_HELD_MS,
  );
  const bareN = bareHeld.length ? bareHeld[bareHeld.length - 1].consultations : 0;
  const bareLowerBound = bareN > 0 && bareN === last?.consultations;
  const kb = (m: { kb: number; r2: number }): string => `${fmt(m.kb)} (r² ${fmt(m.r2)})`;
  const rows: ScenarioResult['rows'] = [
    {
      scenario: '9',
      metric: 'consultations held at p99 ≤ 50 ms (one instance)',
      hekim: `${one.heldIsLowerBound ? '≥ ' : ''}${one.held}`,
      baseline: `${bareLowerBound ? '≥ ' : ''}${bareN}`,
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
      metric: 'memory per consultation (KB retained after GC, slope over steps; RSS)',
      hekim: `${kb(heap)}; RSS ${fmt(rss.kb)}`,
      baseline: `${kb(bareHeap)}; RSS ${fmt(bareRss.kb)}`,
      ratio: fmt(heap.kb / bareHeap.kb, 1) + '×',
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
      metric: `per consultation-minute (${CONSULTATION_MINUTES}-min consultation): rows written / commits / audit records`,
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
      ratio: `rows deleted ${fmt(deletes, 2)}`,
      bar: 'report',
      verdict: 'REPORT',
    },
  ];
  if (two)
    rows.push({
      scenario: '9',
      metric: 'consultations held at p99 ≤ 50 ms (two instances, Redis)',
      hekim: `${two.heldIsLowerBound ? '≥ ' : ''}${two.held}`,
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
      `steps ${one.steps.map((s) => s.consultations).join(', ')} consultations, each held ${holdSeconds} s (real time); call:stats every ` +
        `${profile.statsSeconds} s per side, a chat message every ${profile.chatSeconds} s; each step is a paired round ` +
        '(Hekim held, then the bare relay with the same consultations); the ratio is the median of the per-step ratios',
      `p99 by step (ms): ${one.steps.map((s) => `${s.consultations}: ${fmt(s.hekim.latency.p99)}${s.recheck ? ` → ${fmt(s.recheck.latency.p99)}` : ''} (bare ${fmt(s.bare?.latency.p99 ?? NaN)})`).join(', ')}`,
      `set-up medians at the last step (ms): ${Object.entries(last?.setup.byKind ?? {})
        .map(([k, v]) => `${k} ${fmt(v)}`)
        .join(', ')}; end (call:end + leave) p50 ${fmt(one.ends.p50)} ms`,
      `idle (no consultation, subtracted): Hekim ${fmt(one.idle.cpuCores * 1000)} millicores, ` +
        `${fmt(((one.idle.db?.commits ?? 0) * 60) / one.idle.trafficSeconds)} commits, ` +
        `${fmt(((one.idle.db ? written(one.idle.db) : 0) * 60) / one.idle.trafficSeconds)} rows written and ` +
        `${fmt(((one.idle.db?.audit ?? 0) * 60) / one.idle.trafficSeconds)} audit records a minute`,
      `memory after GC by step (MB retained / RSS): ${[one.idle, ...one.steps.map((s) => s.hekim)]
        .map(
          (h) =>
            `${h.consultations}: ${fmt(h.memory?.retainedMb ?? NaN)} / ${fmt(h.memory?.rssMb ?? NaN)}`,
        )
        .join(', ')}`,
      `load average at each step: ${one.steps.map((s) => `${s.consultations}: ${s.loadAverage[0]}`).join(', ')}`,
    ],
    data: { steps, holdSeconds, profile, one, ...(two ? { two } : {}) },
  };
}
