// Scenario 7: logins/s end to end (POST /auth/login: lockout check, argon2id verify, device
// session and audit record in one transaction, JWT) against a raw argon2id verify loop with
// the same parameters, the same thread pool and the same concurrency.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { alternate, verdict, type ScenarioResult } from '../lib/ab';
import { createUsers, login, PASSWORD } from '../lib/hekim';
import type { Lab } from '../lib/lab';
import { fmt, fmtSpread, median, pairedRatios, spread } from '../lib/stats';

const CONCURRENCY = 8;

function argon2Loop(seconds: number): Promise<number> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [join(__dirname, '..', 'baselines', 'argon2-loop.js'), String(seconds), String(CONCURRENCY)],
      { timeout: (seconds + 30) * 1000 },
      (err, stdout) => {
        if (err) return reject(new Error(`argon2 loop failed: ${err.message}`));
        const r = JSON.parse(stdout.trim()) as { ops: number; seconds: number };
        resolve(r.ops / r.seconds);
      },
    );
  });
}

export async function loginThroughput(lab: Lab): Promise<ScenarioResult> {
  const { rounds, seconds } = lab.settings;
  const h = await lab.hekim(0);
  const users = await createUsers(h.url, await lab.admin(h.url), 'patient', 32, 'login');
  let k = 0;
  const hekimRound = async (): Promise<number> => {
    let ok = 0;
    const t0 = process.hrtime.bigint();
    const end = Date.now() + seconds * 1000;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (Date.now() < end) {
          const i = k++;
          // Clients on different loopback addresses, as the per-IP credential limit expects.
          await login(h.url, users[i % users.length].email, PASSWORD, `127.0.0.${2 + (i % 200)}`);
          ok++;
        }
      }),
    );
    return ok / (Number(process.hrtime.bigint() - t0) / 1e9);
  };
  const r = await alternate(rounds, hekimRound, () => argon2Loop(seconds), lab.log);
  const ratio = spread(pairedRatios(r.a, r.b));
  return {
    id: 's7',
    title: 'Login throughput vs raw argon2id',
    rows: [
      {
        scenario: '7',
        metric: `logins/s vs argon2 verifies/s (${CONCURRENCY} concurrent)`,
        hekim: fmt(median(r.a)),
        baseline: fmt(median(r.b)),
        ratio: fmtSpread(ratio, 2, '×'),
        bar: '≥ 0.9×',
        verdict: verdict(ratio.median >= 0.9),
      },
    ],
    ratios: [{ label: 'S7 login', ratio, bar: 0.9 }],
    latencies: [],
    notes: [
      'argon2id m=19456 KiB, t=2, p=1 through src/common/crypto/password-hasher.ts in both; ' +
        'default libuv pool (4 threads) in both processes',
    ],
    data: { hekim: r.a, baseline: r.b, ratio },
  };
}
