// Scenario 7: logins/s end to end (POST /auth/login: lockout check, argon2id verify, device
// session and audit record in one transaction, JWT) against a raw argon2id verify loop with
// the same parameters, the same hashing threads (so the same number of hashes at once) and the
// same concurrency. Measured with Hekim's default (PASSWORD_HASH_CONCURRENCY: one core kept
// free) and, as a report, with four hashing threads (libuv's pool, which hashed before the
// limit); then what each setting does to the signaling relay of live consultations during the
// login burst.
import { execFile } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { defaultPasswordHashConcurrency } from '../../src/common/crypto/password-hasher';
import { alternate, verdict, type ScenarioResult } from '../lib/ab';
import { busiestThread, threadTimes, type ThreadShares } from '../lib/cpu';
import { createUsers, login, PASSWORD, type HekimInstance } from '../lib/hekim';
import { hekimSpecs, type Lab } from '../lib/lab';
import { atRate, closePairs, openPairs, type LoadResult } from '../lib/signaling';
import { fmt, fmtSpread, median, pairedDifferences, pairedRatios, spread } from '../lib/stats';

const CONCURRENCY = 8;
// As many hashing threads as libuv's default pool, which hashed before the limit.
const WHOLE_POOL = 4;
// A light relay (a few consultations' offers and candidates) next to the login burst.
const RELAY_RATE = 200;

// A side's round: its rate, and where its (busiest) hashing thread's time went meanwhile.
interface Round {
  rate: number;
  thread: ThreadShares | undefined;
}

function argon2Loop(seconds: number, limit: number): Promise<Round> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [
        join(__dirname, '..', 'baselines', 'argon2-loop.js'),
        String(seconds),
        String(CONCURRENCY),
        String(limit),
      ],
      { timeout: (seconds + 30) * 1000 },
      (err, stdout) => {
        if (err) return reject(new Error(`argon2 loop failed: ${err.message}`));
        const r = JSON.parse(stdout.trim()) as {
          ops: number;
          seconds: number;
          thread?: ThreadShares;
        };
        resolve({ rate: r.ops / r.seconds, thread: r.thread });
      },
    );
  });
}

export async function loginThroughput(lab: Lab): Promise<ScenarioResult> {
  const { rounds, seconds } = lab.settings;
  const limit = defaultPasswordHashConcurrency(availableParallelism());
  const h = await lab.hekim(0);
  const users = await createUsers(h.url, await lab.admin(h.url), 'patient', 32, 'login');
  let k = 0;
  // CONCURRENCY clients logging in for `seconds`; logins/s, and where the busiest hashing
  // thread's time went (with one thread: is it ever idle while logins wait?).
  const logins = async (target: HekimInstance, forSeconds = seconds): Promise<Round> => {
    let ok = 0;
    const threads = threadTimes(target.pid);
    const t0 = process.hrtime.bigint();
    const end = Date.now() + forSeconds * 1000;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (Date.now() < end) {
          const i = k++;
          // Clients on different loopback addresses, as the per-IP credential limit expects.
          await login(
            target.url,
            users[i % users.length].email,
            PASSWORD,
            `127.0.0.${2 + (i % 200)}`,
          );
          ok++;
        }
      }),
    );
    const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
    const thread = busiestThread(target.pid, threads, threadTimes(target.pid), elapsed * 1000);
    return { rate: ok / elapsed, thread };
  };

  // Hekim (`target`) against the raw loop, both with at most `hashesAtOnce` hashes at once.
  const againstLoop = async (target: HekimInstance, hashesAtOnce: number) => {
    const r = await alternate(
      rounds,
      () => logins(target),
      () => argon2Loop(seconds, hashesAtOnce),
      lab.log,
    );
    const a = r.a.map((x) => x.rate);
    const b = r.b.map((x) => x.rate);
    return { a, b, threads: { a: r.a, b: r.b }, ratio: spread(pairedRatios(a, b)) };
  };

  lab.log(`  hashes at once: ${limit} (the default here) in Hekim and in the loop`);
  const byDefault = await againstLoop(h, limit);
  const ratio = byDefault.ratio;

  lab.log(
    `  hashes at once: ${WHOLE_POOL} (as many as libuv's pool) in a second Hekim and in the loop`,
  );
  const db = await lab.database();
  const whole = await lab.start({
    mode: 'server',
    databaseUrl: db.url,
    redisPrefix: lab.redisPrefix,
    env: { PASSWORD_HASH_CONCURRENCY: String(WHOLE_POOL) },
  });
  const pairs = await openPairs(hekimSpecs(await lab.pairs(h.url, 2), h.url));
  const pairsWhole = await openPairs(hekimSpecs(await lab.pairs(h.url, 2), whole.url));
  try {
    const byWholePool = await againstLoop(whole, WHOLE_POOL);
    const ratioWhole = byWholePool.ratio;

    // The relay during the burst: the default limit (A) against four hashing threads (B).
    lab.log(
      `  relay at ${RELAY_RATE} msgs/s during the login burst, default limit vs ${WHOLE_POOL} threads`,
    );
    const during = async (target: HekimInstance, p: typeof pairs): Promise<LoadResult> => {
      const [relay] = await Promise.all([
        atRate(p, RELAY_RATE, seconds),
        logins(target, seconds + 1),
      ]);
      return relay;
    };
    const relay = await alternate(
      rounds,
      () => during(h, pairs),
      () => during(whole, pairsWhole),
      lab.log,
    );
    const p99 = (r: LoadResult) => r.latency.p99;
    const p99Diff = spread(pairedDifferences(relay.a.map(p99), relay.b.map(p99)));

    // The hashing thread's time over the default rounds: running, waiting for a core, idle.
    const shares = (xs: Round[]): string => {
      const ts = xs.map((x) => x.thread).filter((t): t is ThreadShares => t !== undefined);
      if (ts.length === 0) return 'not read (no /proc)';
      const pct = (k: keyof ThreadShares): string =>
        `${fmt(median(ts.map((t) => t[k] * 100)), 0)} %`;
      return `running ${pct('run')}, waiting for a core ${pct('wait')}, idle ${pct('idle')}`;
    };
    return {
      id: 's7',
      title: 'Login throughput vs raw argon2id',
      rows: [
        {
          scenario: '7',
          metric: `logins/s vs argon2 verifies/s (${CONCURRENCY} concurrent, ${limit} hash${limit > 1 ? 'es' : ''} at once)`,
          hekim: fmt(median(byDefault.a)),
          baseline: fmt(median(byDefault.b)),
          ratio: fmtSpread(ratio, 2, '×'),
          bar: '≥ 0.9×',
          verdict: verdict(ratio.median >= 0.9),
        },
        {
          scenario: '7',
          metric: `the same with ${WHOLE_POOL} hashing threads (libuv's pool, before the limit)`,
          hekim: fmt(median(byWholePool.a)),
          baseline: fmt(median(byWholePool.b)),
          ratio: fmtSpread(ratioWhole, 2, '×'),
          bar: 'report',
          verdict: 'REPORT',
        },
        {
          scenario: '7',
          metric: `relay p99 ms at ${RELAY_RATE}/s during the burst: ${limit} at once vs ${WHOLE_POOL}`,
          hekim: fmt(median(relay.a.map(p99))),
          baseline: fmt(median(relay.b.map(p99))),
          ratio: fmtSpread(p99Diff, 2, ' ms'),
          bar: 'report',
          verdict: 'REPORT',
        },
      ],
      ratios: [{ label: 'S7 login', ratio, bar: 0.9 }],
      latencies: [],
      notes: [
        'argon2id m=19456 KiB, t=2, p=1 through src/common/crypto/password-hasher.ts in both, ' +
          `on ${limit} hashing thread${limit > 1 ? 's' : ''} (PASSWORD_HASH_CONCURRENCY's default here), each ` +
          `hashing its queue back to back; the report rows use ${WHOLE_POOL} threads`,
        `hashing thread's time during the rounds of row 1 (median, /proc/<pid>/task/*/schedstat): ` +
          `Hekim ${shares(byDefault.threads.a)}; raw loop ${shares(byDefault.threads.b)}`,
        `relay during the burst: "Hekim" is the default limit, "baseline" ${WHOLE_POOL} hashing threads, ` +
          'both serving the same login burst',
      ],
      data: {
        hekim: byDefault.a,
        baseline: byDefault.b,
        ratio,
        hashingThread: byDefault.threads,
        wholePool: { hekim: byWholePool.a, baseline: byWholePool.b, ratio: ratioWhole },
        relayDuringBurst: {
          limit: relay.a.map((r) => r.latency),
          wholePool: relay.b.map((r) => r.latency),
          p99Difference: p99Diff,
        },
      },
    };
  } finally {
    await closePairs(pairs);
    await closePairs(pairsWhole);
    await whole.stop();
  }
}
