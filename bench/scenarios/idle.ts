// Scenario 4: authenticated idle sockets on one instance; heap and RSS per connection
// against a bare Socket.IO server holding the same number.
import { readFileSync } from 'node:fs';
import type { Socket } from 'socket.io-client';
import { alternate, verdict, type ScenarioResult } from '../lib/ab';
import { createUsers, loginAll, metric, pool, rssOf } from '../lib/hekim';
import type { Lab } from '../lib/lab';
import { type Auth, connectSocket, sleep } from '../lib/signaling';
import { fmt, fmtSpread, median, pairedRatios, spread } from '../lib/stats';

interface Memory {
  rss: number;
  heap: number;
}

interface Sample {
  sockets: number;
  rssPerSocket: number;
  heapPerSocket: number;
  before: Memory;
  after: Memory;
  connectSeconds: number;
}

// Memory is read after a pause, twice, keeping the lower reading (a GC may be under way).
async function settled(read: () => Promise<Memory>): Promise<Memory> {
  await sleep(3000);
  const a = await read();
  await sleep(1000);
  const b = await read();
  return { rss: Math.min(a.rss, b.rss), heap: Math.min(a.heap, b.heap) };
}

async function hold(
  count: number,
  base: string,
  auth: (i: number) => Auth,
  read: () => Promise<Memory>,
): Promise<Sample> {
  const before = await settled(read);
  const sockets: Socket[] = [];
  const t0 = Date.now();
  try {
    await pool(count, 100, async (i) => {
      sockets.push(await connectSocket(base, auth(i), 60_000));
    });
    const connectSeconds = (Date.now() - t0) / 1000;
    const after = await settled(read);
    return {
      sockets: sockets.length,
      rssPerSocket: (after.rss - before.rss) / sockets.length,
      heapPerSocket: (after.heap - before.heap) / sockets.length,
      before,
      after,
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
  // Memory is not what a shared machine's noise moves most, and 10,000 authenticated
  // handshakes take minutes here: one A/B pair at that size, two below 5,000.
  const rounds = lab.settings.quick || count >= 5000 ? 1 : 2;
  const h = await lab.hekim(0);
  const bare = await lab.bareServer();
  // Idle sockets do not join rooms, so a few users' tokens are shared by many sockets (a
  // user may have many devices); every handshake is still verified.
  const admin = await lab.admin(h.url);
  const users = await createUsers(h.url, admin, 'patient', 20, 'idle');
  const tokens = await loginAll(h.url, users);
  const r = await alternate(
    rounds,
    () =>
      hold(
        count,
        h.url,
        (i) => ({ token: tokens[i % tokens.length].accessToken }),
        async () => ({
          rss: rssOf(h.pid),
          heap: await metric(h.url, 'nodejs_heap_size_used_bytes'),
        }),
      ),
    () =>
      hold(
        count,
        bare.url,
        (i) => ({ userId: users[i % users.length].id }),
        async () => {
          const m = await bare.mem();
          return { rss: rssOf(bare.pid), heap: m.heapUsed };
        },
      ),
    lab.log,
  );
  const rss = spread(
    pairedRatios(
      r.a.map((x) => x.rssPerSocket),
      r.b.map((x) => x.rssPerSocket),
    ),
  );
  const heap = spread(
    pairedRatios(
      r.a.map((x) => x.heapPerSocket),
      r.b.map((x) => x.heapPerSocket),
    ),
  );
  const kb = (xs: Sample[], k: 'rssPerSocket' | 'heapPerSocket'): string =>
    `${fmt(median(xs.map((x) => x[k])) / 1024, 1)} KB`;
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
        `baseline ${fmt(median(r.b.map((x) => x.connectSeconds)), 1)} s; RSS from /proc, heap from ` +
        'prom-client nodejs_heap_size_used_bytes (Hekim) and v8 used_heap_size (baseline)',
    ],
    data: { count, hekim: r.a, baseline: r.b, rss, heap },
  };
}
