// `npm run bench [-- <scenario…>] [--quick] [--publish|--merge]`: runs the scenarios of
// docs/performance.md, Hekim and its baseline alternating A/B in the same run, prints the
// table of ratios and writes bench/results/latest.{json,svg} (with --publish also
// docs/images/performance.svg and docs/performance.json). Load goes to 127.0.0.1 only; every phase is bounded.
import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import type { ScenarioResult } from './lib/ab';
import { renderChart } from './lib/chart';
import { closeAgents } from './lib/http';
import { Lab, type Settings } from './lib/lab';
import { renderTable } from './lib/report';
import { auditTrail } from './scenarios/audit';
import { callSetup } from './scenarios/calls';
import { consultationCapacity } from './scenarios/capacity';
import { idleConnections } from './scenarios/idle';
import { loginThroughput } from './scenarios/login';
import { realPeers } from './scenarios/peers';
import { crossInstance, relayLatency, relayThroughput } from './scenarios/signaling';

interface Scenario {
  id: string;
  title: string;
  run: (lab: Lab) => Promise<ScenarioResult>;
  limitSeconds: number;
}

export const SCENARIOS: Scenario[] = [
  { id: 's1', title: 'relay throughput', run: relayThroughput, limitSeconds: 240 },
  { id: 's2', title: 'relay latency', run: relayLatency, limitSeconds: 120 },
  { id: 's3', title: 'cross-instance relay', run: crossInstance, limitSeconds: 180 },
  { id: 's4', title: 'idle connections', run: idleConnections, limitSeconds: 900 },
  { id: 's5', title: 'call setup', run: callSetup, limitSeconds: 180 },
  { id: 's6', title: 'real peers (werift)', run: realPeers, limitSeconds: 180 },
  { id: 's7', title: 'login', run: loginThroughput, limitSeconds: 240 },
  { id: 's8', title: 'audit trail', run: auditTrail, limitSeconds: 420 },
  // s9: its two ramps' time budgets (12 + 5 min, see capacity.ts) and the start-ups, idle holds and ends.
  { id: 's9', title: 'consultation capacity', run: consultationCapacity, limitSeconds: 1440 },
];

function withLimit<T>(p: Promise<T>, seconds: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} exceeded ${seconds} s`)), seconds * 1000);
    }),
  ]);
}

function version(pkg: string): string {
  try {
    const file = join(process.cwd(), 'node_modules', pkg, 'package.json');
    return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return 'n/a';
  }
}

export function machine(): Record<string, unknown> {
  const own = JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8')) as {
    version: string;
  };
  let commit = 'n/a';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    // not a git checkout
  }
  return {
    date: new Date().toISOString(),
    nproc: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    ramGb: Math.round(totalmem() / 1024 ** 3),
    node: process.version,
    hekim: own.version,
    commit,
    packages: Object.fromEntries(
      [
        'socket.io',
        'socket.io-client',
        '@socket.io/redis-adapter',
        'typeorm',
        'pg',
        'ioredis',
        '@node-rs/argon2',
        'werift',
      ].map((p) => [p, version(p)]),
    ),
    loadAverageAtStart: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const publish = args.includes('--publish') || args.includes('--merge');
  // --merge: publish, keeping the published results of the scenarios not run this time.
  const merge = args.includes('--merge');
  const published = join(process.cwd(), 'docs', 'performance.json');
  const wanted = args
    .filter((a) => !a.startsWith('--'))
    .map((a) => (/^\d$/.test(a) ? `s${a}` : a.toLowerCase()));
  const unknown = wanted.filter((w) => !SCENARIOS.some((s) => s.id === w));
  if (unknown.length) {
    console.error(
      `unknown scenario ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.id).join(' ')}`,
    );
    return 2;
  }
  const chosen = SCENARIOS.filter((s) => wanted.length === 0 || wanted.includes(s.id));
  const settings: Settings = quick
    ? { quick: true, rounds: 1, seconds: 1 }
    : { quick: false, rounds: 3, seconds: 4 };
  const t0 = Date.now();
  const log = (msg: string): void =>
    console.log(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${msg}`);
  const info = machine();
  const lab = new Lab(settings, log);
  const results: ScenarioResult[] = [];
  const hard = setTimeout(
    () => {
      console.error('the run exceeded 45 minutes: aborting');
      process.exit(3);
    },
    45 * 60 * 1000,
  );
  hard.unref();
  // A stray rejection in a load generator is reported, not allowed to end the run uncleaned.
  process.on('unhandledRejection', (err) => log(`  unhandled: ${String(err)}`));
  // Interrupted: stop what was started (servers, databases, Redis keys) before leaving.
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => {
      console.error(`${signal}: cleaning up`);
      void lab.close().finally(() => process.exit(130));
    });
  try {
    for (const s of chosen) {
      log(`scenario ${s.id}: ${s.title}`);
      const started = Date.now();
      try {
        const r = await withLimit(s.run(lab), s.limitSeconds, `scenario ${s.id}`);
        r.data.seconds = (Date.now() - started) / 1000;
        results.push(r);
        for (const row of r.rows)
          log(`  ${row.metric}: ${row.ratio} (bar ${row.bar}) ${row.verdict}`);
      } catch (err) {
        log(`  ERROR: ${(err as Error).stack ?? String(err)}`);
        results.push({
          id: s.id,
          title: s.title,
          rows: [
            {
              scenario: s.id.slice(1),
              metric: s.title,
              hekim: '—',
              baseline: '—',
              ratio: '—',
              bar: '—',
              verdict: 'FALL SHORT',
            },
          ],
          ratios: [],
          latencies: [],
          notes: [`error: ${(err as Error).message.split('\n')[0]}`],
          data: {},
        });
      }
    }
  } finally {
    await lab.close();
    closeAgents();
  }
  const totalSeconds = (Date.now() - t0) / 1000;
  const run: Record<string, unknown> & { date: string; scenarios: ScenarioResult[] } = {
    ...info,
    date: String(info.date),
    loadAverageAtEnd: loadavg().map((x) => Math.round(x * 100) / 100),
    settings,
    totalSeconds,
    scenarios: results,
  };
  const dir = join(process.cwd(), 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'latest.json'), JSON.stringify(run, null, 2) + '\n');
  if (merge && existsSync(published)) {
    // Re-run scenarios replace their earlier results in the published run; the others stay.
    const earlier = JSON.parse(readFileSync(published, 'utf8')) as typeof run;
    const rerun = new Set(results.map((r) => r.id));
    run.scenarios = SCENARIOS.map(
      (s) =>
        results.find((r) => r.id === s.id) ??
        earlier.scenarios.find((r) => r.id === s.id && !rerun.has(r.id)),
    ).filter((r): r is ScenarioResult => r !== undefined);
    // The published run's machine, commit and load stay at the top (they describe most of its
    // scenarios); each re-run scenario keeps its own run's in data.run.
    const own = ['date', 'nproc', 'cpu', 'ramGb', 'node', 'commit', 'loadAverageAtStart'];
    for (const r of results)
      if (rerun.has(r.id))
        r.data.run = Object.fromEntries(
          [...own, 'loadAverageAtEnd', 'settings', 'totalSeconds'].map((k) => [k, run[k]]),
        );
    for (const [k, v] of Object.entries(earlier)) if (k !== 'scenarios') run[k] = v;
    run.merged = [...rerun];
    results.splice(0, results.length, ...run.scenarios);
  }
  const svg = renderChart({
    title: 'Hekim vs bare baselines',
    subtitle: `${String(run.date).slice(0, 10)} · ${String(run.nproc)} × ${String(run.cpu)} · Node ${String(run.node)} · median of ${settings.rounds} alternating rounds`,
    ratios: results.flatMap((r) => r.ratios),
    latencies: results.flatMap((r) => r.latencies),
  });
  writeFileSync(join(dir, 'latest.svg'), svg);
  if (publish) {
    writeFileSync(join(process.cwd(), 'docs', 'images', 'performance.svg'), svg);
    writeFileSync(
      join(process.cwd(), 'docs', 'performance.json'),
      JSON.stringify(run, null, 2) + '\n',
    );
  }
  console.log('');
  console.log(renderTable(results));
  console.log('');
  for (const r of results) for (const n of r.notes) console.log(`- ${r.id}: ${n}`);
  console.log(`\nwhole run: ${totalSeconds.toFixed(0)} s; results in bench/results/latest.json`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
    // Sockets of the load generator may linger; the results are written.
    setTimeout(() => process.exit(code), 2000).unref();
  },
  (err: unknown) => {
    console.error(err);
    process.exit(2);
  },
);
