// Scenario 4: authenticated idle sockets on one instance; heap and RSS per connection
// against a bare Socket.IO server holding the same number.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Socket } from 'socket.io-client';
import { alternate, verdict, type ScenarioResult } from '../lib/ab';
import { createUsers, loginAll, pool } from '../lib/hekim';
import { Inspector, inspectArgs, type RetainedMemory } from '../lib/inspector';
import type { Lab } from '../lib/lab';
import { startBare } from '../lib/procs';
import { type Auth, connectSocket, sleep } from '../lib/signaling';
import { fmt, fmtSpread, median, pairedRatios, spread } from '../lib/stats';

interface Memory {
  rss: number;
  heap: number;
  // For the reader: V8's committed heap and memory outside it (buffers).
  heapTotal: number;
  external: number;
  spaces: RetainedMemory['spaces'];
}

interface Sample {
  sockets: number;
  rssPerSocket: number;
  heapPerSocket: number;
  // RSS per socket read after a single full collection (the figure of runs before session 40).
  rssPerSocketOneGc: number;
  before: Memory;
  after: Memory;
  beforeOneGc: Memory;
  afterOneGc: Memory;
  // The same readings without the forced collection, for comparison with earlier runs.
  beforeNoGc: Memory;
  afterNoGc: Memory;
  connectSeconds: number;
}

interface Side {
  name: string;
  base: string;
  auth: (i: number) => Auth;
  inspector: Inspector;
}

// Sockets are sampled idle, after one heartbeat: `ws` keeps the last frame a client sent
// (its mask is a slice of it), which until the first heartbeat is the handshake's CONNECT
// frame with its credentials; after Socket.IO's ping interval (25 s, both servers) every
// socket holds a heartbeat frame instead, as an idle socket does from then on.
const IDLE_MS = 30_000;

// What the process holds: read through its inspector after full collections until the heap
// stops shrinking (see Inspector.compacted in ../lib/inspector.ts), after a pause. The
// readings after the first collection and without any are kept beside it. BENCH_HEAP_SNAPSHOTS=<dir>
// also writes a heap snapshot of each reading (for a diff); taking one grows the process'
// RSS, so the RSS figures of such a run are not comparable.
async function settled(
  side: Side,
  label: string,
  pauseMs: number,
): Promise<{ gc: Memory; oneGc: Memory; noGc: Memory }> {
  await sleep(pauseMs);
  const noGc = await side.inspector.usage();
  const { first, last } = await side.inspector.compacted();
  const dir = process.env.BENCH_HEAP_SNAPSHOTS;
  if (dir) {
    mkdirSync(dir, { recursive: true });
    await side.inspector.snapshot(join(dir, `s4-${side.name}-${label}.heapsnapshot`));
  }
  const memory = (m: RetainedMemory): Memory => ({
    rss: m.rss,
    heap: m.heapUsed,
    heapTotal: m.heapTotal,
    external: m.external,
    spaces: m.spaces,
  });
  return { gc: memory(last), oneGc: memory(first), noGc: memory(noGc) };
}

let round = 0;

async function hold(count: number, side: Side): Promise<Sample> {
  const label = `${++round}`;
  // The first handshakes of a process compile code and fill caches once: a batch connected
  // and closed first keeps that out of the per-socket figure (on both sides alike).
  const warm: Socket[] = [];
  await pool(Math.min(count, 200), 50, async (i) => {
    warm.push(await connectSocket(side.base, side.auth(i), 60_000));
  });
  for (const s of warm) s.close();
  const before = await settled(side, `r${label}-0`, 3000);
  const sockets: Socket[] = [];
  const t0 = Date.now();
  try {
    await pool(count, 100, async (i) => {
      sockets.push(await connectSocket(side.base, side.auth(i), 60_000));
    });
    const connectSeconds = (Date.now() - t0) / 1000;
    const after = await settled(side, `r${label}-${count}`, IDLE_MS);
    return {
      sockets: sockets.length,
      rssPerSocket: (after.gc.rss - before.gc.rss) / sockets.length,
      heapPerSocket: (after.gc.heap - before.gc.heap) / sockets.length,
      rssPerSocketOneGc: (after.oneGc.rss - before.oneGc.rss) / sockets.length,
      before: before.gc,
      after: after.gc,
      beforeOneGc: before.oneGc,
      afterOneGc: after.oneGc,
      beforeNoGc: before.noGc,
      afterNoGc: after.noGc,
      connectSeconds,
    };
  } finally {
    for (const s of sockets) s.close();
    await sleep(3000);
  }
}

// The soft limit of open files (each socket is a descriptor here and in the server).
function openFileLimit(): number {
  const m = /Max open files\s+(\d+)/.exec(readFileSync('/proc/self/limits', 'utf8'));
  return m ? Number(m[1]) : Number.POSITIVE_INFINITY;
}

export async function idleConnections(lab: Lab): Promise<ScenarioResult> {
  const count = lab.settings.quick ? 200 : Number(process.env.BENCH_IDLE_SOCKETS ?? 10_000);
  if (openFileLimit() < count + 1000)
    throw new Error(
      `the open-file limit (${openFileLimit()}) is too low for ${count} sockets: run \`ulimit -n ${count + 2000}\` first`,
    );
  // Three A/B pairs (one in a quick run): how much free space V8 keeps inside its pages after
  // a collection varies from round to round, and one pair cannot show that spread. Each round
  // starts both servers afresh, so that no round measures memory a previous one left behind.
  const rounds = lab.settings.quick ? 1 : 3;
  const db = await lab.database();
  const hekimOptions = {
    mode: 'server' as const,
    databaseUrl: db.url,
    redisPrefix: lab.redisPrefix,
  };
  // Idle sockets do not join rooms, so a few users' tokens are shared by many sockets (a
  // user may have many devices); every handshake is still verified. The users are made on an
  // instance of their own; their tokens hold on every instance of the run (same keys, same
  // database).
  const setup = await lab.start(hekimOptions);
  const admin = await lab.admin(setup.url);
  const users = await createUsers(setup.url, admin, 'patient', 20, 'idle');
  const tokens = await loginAll(setup.url, users);
  await setup.stop();
  // A side's round on a process of its own, started with the inspector (loopback only).
  const fresh = async <T>(
    name: string,
    start: (nodeArgs: string[]) => Promise<{ url: string; stop: () => Promise<void> }>,
    auth: (i: number) => Auth,
    run: (side: Side) => Promise<T>,
  ): Promise<T> => {
    const i = await inspectArgs();
    const server = await start(i.args);
    try {
      const inspector = await Inspector.connect(i.port);
      try {
        return await run({ name, base: server.url, auth, inspector });
      } finally {
        inspector.close();
      }
    } finally {
      await server.stop();
    }
  };
  const r = await alternate(
    rounds,
    () =>
      fresh(
        'hekim',
        (nodeArgs) => lab.start({ ...hekimOptions, nodeArgs }),
        (i) => ({ token: tokens[i % tokens.length].accessToken }),
        (side) => hold(count, side),
      ),
    () =>
      fresh(
        'bare',
        (nodeArgs) => startBare(nodeArgs),
        (i) => ({ userId: users[i % users.length].id }),
        (side) => hold(count, side),
      ),
    lab.log,
  );
  const rss = spread(
    pairedRatios(
      r.a.map((x) => x.rssPerSocket),
      r.b.map((x) => x.rssPerSocket),
    ),
  );
  const rssOneGc = spread(
    pairedRatios(
      r.a.map((x) => x.rssPerSocketOneGc),
      r.b.map((x) => x.rssPerSocketOneGc),
    ),
  );
  const heap = spread(
    pairedRatios(
      r.a.map((x) => x.heapPerSocket),
      r.b.map((x) => x.heapPerSocket),
    ),
  );
  const kb = (xs: Sample[], k: 'rssPerSocket' | 'heapPerSocket' | 'rssPerSocketOneGc'): string =>
    `${fmt(median(xs.map((x) => x[k])) / 1024, 1)} KB`;
  const kbNoGc = (xs: Sample[]): string =>
    `${fmt(median(xs.map((x) => (x.afterNoGc.heap - x.beforeNoGc.heap) / x.sockets)) / 1024, 1)} KB`;
  const slack = (xs: Sample[], k: 'after' | 'afterOneGc'): string =>
    fmt(median(xs.map((x) => (x[k].heapTotal - x[k].heap) / 1e6)), 1);
  return {
    id: 's4',
    title: 'Idle authenticated connections',
    rows: [
      {
        scenario: '4',
        metric: `RSS per socket (${count} sockets)`,
        hekim: kb(r.a, 'rssPerSocket'),
        baseline: kb(r.b, 'rssPerSocket'),
        ratio: fmtSpread(rss, 2, '×'),
        bar: '≤ 1.2×',
        verdict: verdict(rss.median <= 1.2),
      },
      {
        scenario: '4',
        metric: `RSS per socket after one collection (${count} sockets; as before session 40)`,
        hekim: kb(r.a, 'rssPerSocketOneGc'),
        baseline: kb(r.b, 'rssPerSocketOneGc'),
        ratio: fmtSpread(rssOneGc, 2, '×'),
        bar: 'report',
        verdict: 'REPORT',
      },
      {
        scenario: '4',
        metric: `heap per socket (${count} sockets)`,
        hekim: kb(r.a, 'heapPerSocket'),
        baseline: kb(r.b, 'heapPerSocket'),
        ratio: fmtSpread(heap, 2, '×'),
        bar: '≤ 1.2×',
        verdict: verdict(heap.median <= 1.2),
      },
    ],
    ratios: [],
    latencies: [],
    notes: [
      `connect time for ${count} sockets (100 at a time): Hekim ${fmt(median(r.a.map((x) => x.connectSeconds)), 1)} s, ` +
        `baseline ${fmt(median(r.b.map((x) => x.connectSeconds)), 1)} s; RSS and heap used read ` +
        "through each process' inspector after forced full GCs (HeapProfiler.collectGarbage) until " +
        "V8's heap stopped shrinking (at most 4), the same way for both",
      "free space inside V8's committed pages after the first and the last collection (median, MB): " +
        `Hekim ${slack(r.a, 'afterOneGc')} and ${slack(r.a, 'after')}, ` +
        `baseline ${slack(r.b, 'afterOneGc')} and ${slack(r.b, 'after')}`,
      `without the forced GC (as before): heap per socket Hekim ${kbNoGc(r.a)}, baseline ${kbNoGc(r.b)}`,
    ],
    data: { count, hekim: r.a, baseline: r.b, rss, rssOneGc, heap },
  };
}
