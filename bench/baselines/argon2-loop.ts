// The baseline of the login scenario: argon2id verifications of one hash with exactly the
// parameters Hekim uses (src/common/crypto/password-hasher.ts, through the same functions), on
// the same hashing threads (as many as Hekim's PASSWORD_HASH_CONCURRENCY; its default when not
// given), `concurrency` callers, for `seconds`. Nothing else runs in this process, so each
// thread hashes back to back. Prints {"ops": N, "seconds": S, "thread": {run, wait, idle}}, the
// last the hashing thread's shares of the time (../lib/cpu.ts).
import { busiestThread, threadTimes } from '../lib/cpu';
import {
  hashPassword,
  setPasswordHashConcurrency,
  verifyPassword,
} from '../../src/common/crypto/password-hasher';

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 5);
  const concurrency = Number(process.argv[3] ?? 8);
  if (process.argv[4]) setPasswordHashConcurrency(Number(process.argv[4]));
  const password = 'Bench-password-0123456789';
  const hash = await hashPassword(password);
  await verifyPassword(hash, password);
  let ops = 0;
  const threads = threadTimes(process.pid);
  const t0 = process.hrtime.bigint();
  const end = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < end) {
        if (!(await verifyPassword(hash, password))) throw new Error('verify failed');
        ops++;
      }
    }),
  );
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  const thread = busiestThread(process.pid, threads, threadTimes(process.pid), elapsed * 1000);
  process.stdout.write(`${JSON.stringify({ ops, seconds: elapsed, thread })}\n`);
}

void main();
