import { execFile } from 'node:child_process';
import { readFile, writeFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chainHash, recordLine, type AuditRecordBody } from '../../src/modules/audit/audit-chain';
import { ExportFormat } from '../../src/modules/audit/audit-export-format';
import { AuditTrailService } from '../../src/modules/audit/audit-trail.service';
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
});
