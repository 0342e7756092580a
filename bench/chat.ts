// Consultation chat throughput and ack latency (docs/chat.md, "Performance"), in one run:
// - Hekim: `chat:send` with an ack through the built app in server mode (authentication, the
//   membership check, rate limits, sealing under the patient's data key, the insert under the
//   room's turn, the commit, `chat:message` to every device of the room through the Redis
//   adapter), ROOMS consultation rooms, each with a doctor and a patient socket, both sending;
// - baseline: the same senders on the bare Socket.IO server (bench/baselines/bare-server.ts),
//   whose `chat:send` numbers the message, emits `chat:message` to the room's members and acks,
//   storing nothing.
// Saturation is a closed loop: every sender keeps WINDOW sends (distinct clientIds) awaiting
// their acks for SECONDS (after a one-second warm-up). Rounds alternate Hekim and baseline
// (paired); the result is the median of the per-round ratios of acked messages per second.
// Then an open loop at half of Hekim's median saturation for SECONDS gives the p50/p99 ack
// latency. Not part of `npm test`; run with
//   npm run build && npm run bench:chat -- [rooms=8] [seconds=5] [rounds=3] [window=4]
// It needs the built app, PostgreSQL and Redis (as `npm run bench`). Every phase is bounded;
// a watchdog stops the whole run if it overruns.
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { Client } from 'pg';
import type { Socket } from 'socket.io-client';
import { alternate } from './lib/ab';
import { closeAgents } from './lib/http';
import { metricsText } from './lib/hekim';
import { bareSpecs, hekimSpecs, Lab } from './lib/lab';
import { closePairs, openPairs, sleep, type Pair } from './lib/signaling';
import {
  histogramQuantile,
  latencySummary,
  median,
  pairedRatios,
  type LatencySummary,
} from './lib/stats';

const ROOMS = Number(process.argv[2] ?? 8);
const SECONDS = Number(process.argv[3] ?? 5);
const ROUNDS = Number(process.argv[4] ?? 3);
const WINDOW = Number(process.argv[5] ?? 4);
const WARMUP_SECONDS = 1;
const DRAIN_MS = 10_000;
const ACK_TIMEOUT_MS = 10_000;
// Open loop: at most this many sends awaiting their ack per sender; the excess is shed (and
// counted) rather than queued without bound.
const MAX_BACKLOG = 64;
const GOAL_RATIO = 0.3;
const GOAL_P99_MS = 20;

// A typical consultation line (~70 characters), numbered so no two are alike.
const textOf = (n: number): string => `Parasetamol 500 mg, günde 3 kez, tok karnına; kontrol #${n}`;

interface Sender {
  socket: Socket;
  roomId: string;
  inFlight: number;
}

export interface ChatLoad {
  acked: number;
  refused: number;
  timedOut: number;
  shed: number;
  delivered: number;
  seconds: number;
  perSecond: number;
  latency: LatencySummary;
  refusals: string[];
  // Open loop only: how the generator kept to its schedule.
  schedule?: {
    // How late each send left, after the time the constant rate gave it.
    lag: LatencySummary;
    // Ack latency counted from that scheduled time (includes the lag).
    fromSchedule: LatencySummary;
    // The bench process's own event-loop delay while measuring.
    loopDelayP99Ms: number;
  };
}

interface AckBody {
  ok: boolean;
  data?: { message?: { seq?: number } };
  error?: { code?: string; reason?: string };
}

// Closed loop (`window`) or open loop (`rate` sends per second over all senders).
async function drive(
  pairs: Pair[],
  seconds: number,
  mode: { window: number } | { rate: number },
): Promise<ChatLoad> {
  const senders: Sender[] = pairs.flatMap((p) => [
    { socket: p.a, roomId: p.roomId, inFlight: 0 },
    { socket: p.b, roomId: p.roomId, inFlight: 0 },
  ]);
  let measuring = false;
  let stopped = false;
  let n = 0;
  let outstanding = 0;
  const r = { acked: 0, refused: 0, timedOut: 0, shed: 0, delivered: 0 };
  const refusals = new Set<string>();
  const samples: number[] = [];
  const onMessage = (): void => {
    if (measuring) r.delivered++;
  };
  for (const p of pairs) {
    p.a.on('chat:message', onMessage);
    p.b.on('chat:message', onMessage);
  }
  const lags: number[] = [];
  const fromDue: number[] = [];
  const eld = monitorEventLoopDelay({ resolution: 1 });
  eld.enable();
  const send = (s: Sender, dueAt?: number): void => {
    const counted = measuring;
    const t0 = process.hrtime.bigint();
    const sentAt = performance.now();
    if (dueAt !== undefined && counted) lags.push(sentAt - dueAt);
    s.inFlight++;
    outstanding++;
    s.socket
      .timeout(ACK_TIMEOUT_MS)
      .emit(
        'chat:send',
        { roomId: s.roomId, text: textOf(n++), clientId: randomUUID() },
        (err: Error | null, res: AckBody) => {
          s.inFlight--;
          outstanding--;
          if (err) {
            if (counted) r.timedOut++;
          } else if (!res?.ok) {
            if (counted) r.refused++;
            refusals.add(`${res?.error?.code} ${res?.error?.reason ?? ''}`.trim());
          } else if (counted && measuring) {
            r.acked++;
            samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
            if (dueAt !== undefined) fromDue.push(performance.now() - dueAt);
          }
          if ('window' in mode && !stopped) send(s);
        },
      );
  };
  let timer: NodeJS.Timeout | undefined;
  if ('window' in mode) {
    for (const s of senders) for (let i = 0; i < mode.window; i++) send(s);
  } else {
    const t0 = performance.now();
    let due = 0;
    let rr = 0;
    timer = setInterval(() => {
      const should = Math.floor(((performance.now() - t0) / 1000) * mode.rate);
      for (; due < should; due++) {
        const dueAt = t0 + ((due + 1) * 1000) / mode.rate;
        const s = senders[rr++ % senders.length];
        if (s.inFlight >= MAX_BACKLOG) {
          if (measuring) r.shed++;
          continue;
        }
        send(s, dueAt);
      }
    }, 1);
  }
  await sleep(WARMUP_SECONDS * 1000);
  measuring = true;
  eld.reset();
  const m0 = process.hrtime.bigint();
  await sleep(seconds * 1000);
  measuring = false;
  eld.disable();
  const loopDelayP99Ms = eld.percentile(99) / 1e6;
  const elapsed = Number(process.hrtime.bigint() - m0) / 1e9;
  stopped = true;
  if (timer) clearInterval(timer);
  // What is in flight finishes (bounded) so the next round starts on a quiet server.
  const drainUntil = Date.now() + DRAIN_MS;
  while (outstanding > 0 && Date.now() < drainUntil) await sleep(20);
  await sleep(100);
  for (const p of pairs) {
    p.a.off('chat:message', onMessage);
    p.b.off('chat:message', onMessage);
  }
  return {
    ...r,
    seconds: elapsed,
    perSecond: r.acked / elapsed,
    latency: latencySummary(samples),
    refusals: [...refusals],
    schedule:
      'rate' in mode
        ? { lag: latencySummary(lags), fromSchedule: latencySummary(fromDue), loopDelayP99Ms }
        : undefined,
  };
}

// The server's own timing of a send per stage (hekim_chat_send_stage_seconds, docs/chat.md,
// "Delivery"): cumulative bucket counts per stage.
const STAGES = ['queue', 'read', 'insert', 'publish', 'send'] as const;
type Buckets = Map<string, Map<number, number>>;
function stageBuckets(text: string): Buckets {
  const out: Buckets = new Map();
  for (const line of text.split('\n')) {
    if (!line.startsWith('hekim_chat_send_stage_seconds_bucket{')) continue;
    const stage = /stage="([^"]+)"/.exec(line)?.[1];
    const le = /le="([^"]+)"/.exec(line)?.[1];
    if (stage === undefined || le === undefined) continue;
    const v = le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le);
    const m = out.get(stage) ?? new Map<number, number>();
    m.set(v, Number(line.slice(line.lastIndexOf(' ') + 1)));
    out.set(stage, m);
  }
  return out;
}
// p50 and p99 (ms, bucket-interpolated) of each stage between two readings.
function stageQuantiles(
  before: Buckets,
  after: Buckets,
): Record<string, { count: number; p50Ms: number; p99Ms: number }> {
  const out: Record<string, { count: number; p50Ms: number; p99Ms: number }> = {};
  for (const stage of STAGES) {
    const a = after.get(stage);
    if (!a) continue;
    const b = before.get(stage);
    const delta = [...a]
      .sort((x, y) => x[0] - y[0])
      .map(([le, count]) => ({ le, count: count - (b?.get(le) ?? 0) }));
    const count = delta.at(-1)?.count ?? 0;
    out[stage] = {
      count,
      p50Ms: Number((histogramQuantile(0.5, delta) * 1000).toFixed(2)),
      p99Ms: Number((histogramQuantile(0.99, delta) * 1000).toFixed(2)),
    };
  }
  return out;
}

const f = (x: number, d = 0): string => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
const load = (): string =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
const line = (name: string, l: ChatLoad): string =>
  `${name} ${f(l.perSecond)}/s acked (p50 ${f(l.latency.p50, 1)} ms, p99 ${f(l.latency.p99, 1)} ms` +
  `, delivered ${l.delivered}, refused ${l.refused}, timed out ${l.timedOut}` +
  `${l.shed ? `, shed ${l.shed}` : ''})${l.refusals.length ? ` refusals: ${l.refusals.join(', ')}` : ''}`;

async function main(): Promise<void> {
  const log = (msg: string): void => console.log(msg);
  const lab = new Lab({ quick: false, rounds: ROUNDS, seconds: SECONDS }, log);
  // Setup, the rounds (each at most warm-up + measure + drain), the open loop, and teardown.
  const boundMs =
    240_000 + (2 * ROUNDS + 1) * ((WARMUP_SECONDS + SECONDS) * 1000 + DRAIN_MS + 1000);
  const watchdog = setTimeout(() => {
    console.error(`watchdog: the run overran ${Math.round(boundMs / 1000)} s, stopping`);
    void Promise.race([lab.close(), sleep(30_000)]).then(() => process.exit(2));
  }, boundMs);
  watchdog.unref();
  let hekimPairs: Pair[] = [];
  let barePairs: Pair[] = [];
  try {
    log(`chat bench: ${ROOMS} rooms (${2 * ROOMS} senders), window ${WINDOW}, ${SECONDS} s`);
    log(`  load average at start: ${load()}`);
    // BENCH_LOG_STATEMENTS=1: every statement on the bench database goes to the server's log,
    // to count a send's round trips (as bench/delivery.ts).
    if (process.env.BENCH_LOG_STATEMENTS === '1') {
      const db = await lab.database();
      const admin = new Client({ connectionString: db.url });
      await admin.connect();
      await admin.query(`ALTER DATABASE "${db.name}" SET log_min_duration_statement = 0`);
      await admin.end();
      log(`  logging every statement on ${db.name}`);
    }
    const hekim = await lab.hekim(0, {
      // The per-user and per-room chat limits (60 and 300 a minute) still run on every send;
      // only their thresholds are raised so that the load generator is not simply refused.
      CHAT_USER_MESSAGES_PER_MINUTE: '1000000',
      CHAT_ROOM_MESSAGES_PER_MINUTE: '1000000',
      // BENCH_DATABASE_POOL_SIZE: another pool size than the default (10), to see whether the
      // pool limits the sends (each room's turn holds a connection from the lock to the unlock).
      ...(process.env.BENCH_DATABASE_POOL_SIZE
        ? { DATABASE_POOL_SIZE: process.env.BENCH_DATABASE_POOL_SIZE }
        : {}),
    });
    const bare = await lab.bareServer();
    const pairs = await lab.pairs(hekim.url, ROOMS);
    hekimPairs = await openPairs(hekimSpecs(pairs, hekim.url));
    barePairs = await openPairs(bareSpecs(pairs, bare.url));
    log(`  ${ROOMS} rooms ready (consent given, patient accepted, both joined)`);
    const rounds = await alternate(
      ROUNDS,
      async (i) => {
        const l = await drive(hekimPairs, SECONDS, { window: WINDOW });
        log(`  round ${i + 1}: ${line('Hekim', l)}`);
        return l;
      },
      async (i) => {
        const l = await drive(barePairs, SECONDS, { window: WINDOW });
        log(`  round ${i + 1}: ${line('bare', l)}`);
        return l;
      },
      log,
    );
    const hekimRates = rounds.a.map((l) => l.perSecond);
    const bareRates = rounds.b.map((l) => l.perSecond);
    const ratios = pairedRatios(hekimRates, bareRates);
    const ratio = median(ratios);
    const saturation = median(hekimRates);
    // BENCH_CHAT_OPEN_RATE: the open loop at this rate instead (to compare two builds at the
    // same offered load).
    const half =
      Number(process.env.BENCH_CHAT_OPEN_RATE) || Math.max(1, Math.round(saturation / 2));
    log(
      `  open loop: Hekim at ${half}/s (${process.env.BENCH_CHAT_OPEN_RATE ? 'fixed; saturation' : 'half of'} ${f(saturation)}/s), load ${load()}`,
    );
    const stagesBefore = stageBuckets(await metricsText(hekim.url));
    const open = await drive(hekimPairs, SECONDS, { rate: half });
    const stages = stageQuantiles(stagesBefore, stageBuckets(await metricsText(hekim.url)));
    log(`  ${line('Hekim open loop', open)}`);
    log(
      `  open loop, server side (p50 / p99 ms, warm-up and drain included): ` +
        Object.entries(stages)
          .map(([k, v]) => `${k} ${f(v.p50Ms, 1)} / ${f(v.p99Ms, 1)}`)
          .join(', '),
    );
    if (open.schedule) {
      const { lag, fromSchedule, loopDelayP99Ms } = open.schedule;
      log(
        `  open loop schedule: sends left p50 ${f(lag.p50, 2)} / p99 ${f(lag.p99, 2)} ms after their time;` +
          ` acks from the scheduled time p50 ${f(fromSchedule.p50, 1)} / p99 ${f(fromSchedule.p99, 1)} ms;` +
          ` bench event-loop delay p99 ${f(loopDelayP99Ms, 1)} ms`,
      );
    }
    // Persisted: every acked send of the run is a row (counted on the bench database).
    const db = await lab.database();
    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    const stored = Number(
      (await pg.query<{ n: string }>('SELECT count(*) AS n FROM chat_messages')).rows[0].n,
    );
    const plain = Number(
      (
        await pg.query<{ n: string }>(
          `SELECT count(*) AS n FROM chat_messages WHERE body LIKE '%Parasetamol%'`,
        )
      ).rows[0].n,
    );
    await pg.end();
    const refused = [...rounds.a, open].reduce((s, l) => s + l.refused + l.timedOut, 0);
    const result = {
      rooms: ROOMS,
      senders: 2 * ROOMS,
      window: WINDOW,
      seconds: SECONDS,
      rounds: ROUNDS,
      hekimPerSecond: hekimRates.map((x) => Math.round(x)),
      barePerSecond: bareRates.map((x) => Math.round(x)),
      ratioMedian: Number(ratio.toFixed(3)),
      ratioRange: [Math.min(...ratios), Math.max(...ratios)].map((x) => Number(x.toFixed(3))),
      ratioVerdict: ratio >= GOAL_RATIO ? 'PASS' : 'FALL SHORT',
      openLoop: {
        rate: half,
        acked: open.acked,
        shed: open.shed,
        p50Ms: Number(open.latency.p50.toFixed(2)),
        p99Ms: Number(open.latency.p99.toFixed(2)),
        maxMs: Number(open.latency.max.toFixed(2)),
        sendLagP99Ms: Number((open.schedule?.lag.p99 ?? NaN).toFixed(2)),
        fromScheduleP99Ms: Number((open.schedule?.fromSchedule.p99 ?? NaN).toFixed(2)),
        benchLoopDelayP99Ms: Number((open.schedule?.loopDelayP99Ms ?? NaN).toFixed(2)),
        serverStages: stages,
        verdict: open.latency.p99 <= GOAL_P99_MS && open.shed === 0 ? 'PASS' : 'FALL SHORT',
      },
      hekimRefusedOrTimedOut: refused,
      storedRows: stored,
      storedInPlainText: plain,
      loadAverageAtEnd: load(),
    };
    console.log(JSON.stringify(result));
    if (plain > 0) throw new Error('messages were stored in plain text');
  } finally {
    await closePairs(hekimPairs).catch(() => undefined);
    await closePairs(barePairs).catch(() => undefined);
    await lab.close();
    closeAgents();
    clearTimeout(watchdog);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
