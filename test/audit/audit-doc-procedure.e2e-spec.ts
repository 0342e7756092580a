import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { readFile, writeFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  chainHash,
  checkpointLine,
  GENESIS_HASH,
  recordLine,
  type AuditRecordBody,
} from '../../src/modules/audit/chain/audit-chain';
import { ExportFormat } from '../../src/modules/audit/export/audit-export-format';
import { keyIdOf, signCheckpoint } from '../../src/modules/audit/chain/audit-signing';
import { AuditTrailService } from '../../src/modules/audit/export/audit-trail.service';
import { createTestApp, type TestApp } from '../support/test-app';
import { exportToFile, recordMany, tempDir, writeLines } from './audit-support';

const run = promisify(execFile);

// docs/audit.md promises that an auditor can verify an export with a shell, sha256sum and
// openssl only. The procedure is taken from the document itself and run on real exports.
describe('audit trail: the auditor’s shell procedure in docs/audit.md', () => {
  let t: TestApp;
  let dir: string;
  let script: string;
  let pubkey: string;
  let lines: string[];

  beforeAll(async () => {
    t = await createTestApp({ env: { AUDIT_CHECKPOINT_EVERY_RECORDS: '4' } });
    await recordMany(t, 10);
    dir = await tempDir();
    const doc = await readFile(join(__dirname, '..', '..', 'docs', 'audit.md'), 'utf8');
    const block =
      /<!-- verify-procedure -->\s*```sh\n([\s\S]*?)```\s*<!-- \/verify-procedure -->/.exec(doc);
    if (!block) throw new Error('docs/audit.md lost its verify-procedure block');
    script = join(dir, 'verify.sh');
    await writeFile(script, block[1]);
    pubkey = join(dir, 'audit-public-key.pem');
    await writeFile(pubkey, t.app.get(AuditTrailService).publicKey().publicKey);
    lines = (await exportToFile(t, ExportFormat.Ndjson, dir)).text.trimEnd().split('\n');
  });
  afterAll(async () => {
    await t.close();
    await rm(dir, { recursive: true, force: true });
  });

  const verify = async (name: string, content: string[]) => {
    const file = await writeLines(dir, name, content);
    return run('sh', [script], { env: { ...process.env, EXPORT: file, PUBKEY: pubkey } });
  };

  // What would prove nothing is refused with exit code 2, never answered "OK".
  const whole = (l: readonly string[]) => (l.length > 0 ? `${l.join('\n')}\n` : '');
  it.each([
    ['no public key', (l: string[]) => whole(l), { PUBKEY: '' }, /^REFUSED: no public key/],
    ['an empty file', () => '', {}, /^REFUSED: the export is empty\n$/],
    [
      'a file whose last line is cut',
      (l: string[]) => whole(l).slice(0, -30),
      {},
      /^REFUSED: the export is truncated \(its last line is cut\)\n$/,
    ],
    [
      'a file cut before its checkpoints',
      (l: string[]) => whole(l.filter((x) => x.startsWith('{"hash"'))),
      {},
      /^REFUSED: the export is truncated \(it does not end with its checkpoints\)\n$/,
    ],
    [
      'checkpoints without records',
      (l: string[]) => whole(l.filter((x) => x.startsWith('{"checkpoint"'))),
      {},
      /^REFUSED: the export holds no records\n$/,
    ],
  ])('refuses %s', async (what, content, env, message) => {
    const file = join(dir, `${what.replace(/\W+/g, '-')}.ndjson`);
    await writeFile(file, content(lines));
    await expect(
      run('sh', [script], { env: { ...process.env, EXPORT: file, PUBKEY: pubkey, ...env } }),
    ).rejects.toMatchObject({ code: 2, stdout: expect.stringMatching(message) as string });
  });

  it.each([ExportFormat.Csv, ExportFormat.Fhir])(
    'refuses a %s export, which it cannot check, instead of answering OK',
    async (format) => {
      const other = await exportToFile(t, format, dir);
      await expect(
        run('sh', [script], { env: { ...process.env, EXPORT: other.path, PUBKEY: pubkey } }),
      ).rejects.toMatchObject({
        code: 2,
        stdout:
          'REFUSED: line 1 is not an NDJSON audit record or checkpoint (this procedure checks NDJSON exports only)\n',
      });
    },
  );

  it('accepts an untouched export', async () => {
    const records = lines.filter((l) => l.startsWith('{"hash"')).length;
    const { stdout } = await verify('ok.ndjson', lines);
    expect(stdout.trim()).toBe(`OK ${records}`);
  });

  it('names the record of an edited field', async () => {
    const copy = lines.map((l) => (l.includes('"seq":"6"') ? l.replace('agent 5', 'agent X') : l));
    await expect(verify('edit.ndjson', copy)).rejects.toMatchObject({
      stdout: 'BAD seq 6: hash mismatch\n',
    });
  });

  it('names a deleted record', async () => {
    const copy = lines.filter((l) => !(l.startsWith('{"hash"') && l.includes('"seq":"3"')));
    await expect(verify('delete.ndjson', copy)).rejects.toMatchObject({
      stdout: 'BAD seq 3: missing or out of order\n',
    });
  });

  it('catches a recomputed chain through the checkpoint signatures', async () => {
    const copy: string[] = [];
    let prev = '';
    for (const line of lines) {
      if (!line.startsWith('{"hash"')) {
        copy.push(line);
        continue;
      }
      const r = JSON.parse(line) as { hash: string; prevHash: string; record: AuditRecordBody };
      if (r.record.seq === '6') r.record.outcome = 'denied';
      const prevHash = prev || r.prevHash;
      const hash = Number(r.record.seq) >= 6 ? chainHash(prevHash, r.record) : r.hash;
      copy.push(recordLine(r.record, prevHash, hash));
      prev = hash;
    }
    await expect(verify('recomputed.ndjson', copy)).rejects.toMatchObject({
      stdout: 'BAD checkpoint 8: records differ\n',
    });
  });

  it('refuses a forged signature', async () => {
    const copy = lines.map((l) =>
      l.startsWith('{"checkpoint"')
        ? l.replace(/"signature":"(.)/, (_m, c: string) => `"signature":"${c === 'A' ? 'B' : 'A'}`)
        : l,
    );
    await expect(verify('forged.ndjson', copy)).rejects.toMatchObject({
      stdout: expect.stringMatching(/^BAD checkpoint \d+: signature\n$/),
    });
  });

  it('shows its progress on stderr on a long run', async () => {
    // 20,000 generated records signed with a key of the test's own, a checkpoint every 1,000.
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const out: string[] = [];
    const cps: string[] = [];
    let prev = GENESIS_HASH;
    let prevSignature = '';
    for (let seq = 1; seq <= 20_000; seq++) {
      const body: AuditRecordBody = {
        seq: String(seq),
        occurredAt: new Date(Date.UTC(2026, 10, 1) + seq).toISOString(),
        actor: { userId: null, role: 'doctor', ip: '203.0.113.7', userAgent: 'test' },
        action: 'auth.login',
        outcome: 'success',
        resource: { type: 'user', id: null },
        subjectId: null,
        requestId: `r-${seq}`,
        details: { note: 'Çağrı "ş"' },
      };
      const hash = chainHash(prev, body);
      out.push(recordLine(body, prev, hash));
      prev = hash;
      if (seq % 1000 === 0) {
        const cp = {
          seq: String(seq),
          hash,
          createdAt: body.occurredAt,
          keyId: keyIdOf(publicKey),
          prevSignature,
        };
        prevSignature = signCheckpoint(cp, privateKey);
        cps.push(checkpointLine(cp, prevSignature));
      }
    }
    const file = await writeLines(dir, 'long.ndjson', [...out, ...cps]);
    const key = join(dir, 'long-key.pem');
    await writeFile(key, publicKey.export({ format: 'pem', type: 'spki' }).toString());
    const { stdout, stderr } = await run('sh', [script], {
      env: { ...process.env, EXPORT: file, PUBKEY: key },
    });
    expect(stdout).toBe('OK 20000\n');
    expect(stderr).toBe('read 20000 of 20000 records\nhashed 20000 of 20000 records\n');
  });
});
