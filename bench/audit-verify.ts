// Speed of offline verification (docs/audit.md, "Verifying an export offline"): writes a
// signed NDJSON export of N generated records (a checkpoint every 1,000, as by default), then
// times the shell procedure of docs/audit.md (taken from the document) and
// `npm run audit:verify` on it. Not part of `npm test`; run with
//   npm run bench:audit-verify -- [records=100000]
// It needs only the built scripts (npm run build) and the procedure's tools.
import { execFileSync, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  chainHash,
  checkpointLine,
  GENESIS_HASH,
  recordLine,
  type AuditRecordBody,
  type CheckpointBody,
} from '../src/modules/audit/chain/audit-chain';
import { keyIdOf, signCheckpoint } from '../src/modules/audit/chain/audit-signing';

const root = join(__dirname, '..', '..');

async function writeExport(path: string, records: number): Promise<string> {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const out = createWriteStream(path);
  const checkpoints: string[] = [];
  let prev = GENESIS_HASH;
  let prevSignature = '';
  const start = Date.parse('2026-11-01T00:00:00.000Z');
  for (let seq = 1; seq <= records; seq++) {
    const body: AuditRecordBody = {
      seq: String(seq),
      occurredAt: new Date(start + seq * 1000).toISOString(),
      actor: { userId: null, role: 'doctor', ip: '203.0.113.7', userAgent: 'Mozilla/5.0 bench' },
      action: seq % 3 === 0 ? 'user.read' : 'auth.login',
      outcome: 'success',
      resource: { type: 'user', id: `user-${seq % 97}` },
      subjectId: null,
      requestId: `bench-${seq}`,
      details: { basis: 'care_relationship', note: 'Çağrı ş ğ ü "quoted"', n: seq },
    };
    const hash = chainHash(prev, body);
    if (!out.write(`${recordLine(body, prev, hash)}\n`)) await once(out, 'drain');
    prev = hash;
    if (seq % 1000 === 0 || seq === records) {
      const cp: CheckpointBody = {
        seq: String(seq),
        hash,
        createdAt: new Date(start + seq * 1000).toISOString(),
        keyId: keyIdOf(publicKey),
        prevSignature,
      };
      prevSignature = signCheckpoint(cp, privateKey);
      checkpoints.push(checkpointLine(cp, prevSignature));
    }
  }
  out.end(`${checkpoints.join('\n')}\n`);
  await once(out, 'finish');
  return publicKey.export({ format: 'pem', type: 'spki' }).toString();
}

function timed(label: string, file: string, args: string[], env: NodeJS.ProcessEnv): number {
  const t0 = process.hrtime.bigint();
  const run = spawnSync(file, args, { env: { ...process.env, ...env }, encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  process.stdout.write(
    `${label}: ${seconds.toFixed(1)} s, exit ${run.status}, ${run.stdout.trim().slice(0, 120)}\n`,
  );
  if (run.status !== 0) process.stdout.write(run.stderr);
  return seconds;
}

async function main(): Promise<void> {
  const records = Number(process.argv[2] ?? 100_000);
  const dir = mkdtempSync(join(tmpdir(), 'hekim-verify-bench-'));
  try {
    const exportFile = join(dir, 'export.ndjson');
    const keyFile = join(dir, 'key.pem');
    writeFileSync(keyFile, await writeExport(exportFile, records));
    const doc = readFileSync(join(root, 'docs', 'audit.md'), 'utf8');
    const block =
      /<!-- verify-procedure -->\s*```sh\n([\s\S]*?)```\s*<!-- \/verify-procedure -->/.exec(doc);
    if (!block) throw new Error('docs/audit.md lost its verify-procedure block');
    const script = join(dir, 'verify.sh');
    writeFileSync(script, block[1]);
    const size = Number(execFileSync('wc', ['-c', exportFile], { encoding: 'utf8' }).split(' ')[0]);
    process.stdout.write(`${records} records, ${(size / 1e6).toFixed(1)} MB\n`);
    timed('shell procedure (docs/audit.md)', 'sh', [script], {
      EXPORT: exportFile,
      PUBKEY: keyFile,
    });
    timed(
      'npm run audit:verify',
      process.execPath,
      [join(root, 'dist', 'scripts', 'audit-verify.js'), exportFile, '--public-key', keyFile],
      {},
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
