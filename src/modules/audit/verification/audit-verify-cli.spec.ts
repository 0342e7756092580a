import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  chainHash,
  checkpointLine,
  GENESIS_HASH,
  recordLine,
  type AuditRecordBody,
} from '../chain/audit-chain';
import { ExportFormatError, readExport } from '../export/audit-export-reader';
import { keyIdOf, signCheckpoint } from '../chain/audit-signing';
import { runAuditVerify } from './audit-verify-cli';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');

function record(): AuditRecordBody {
  return {
    seq: '1',
    occurredAt: '2026-01-01T00:00:00.000Z',
    actor: { userId: null, role: null, ip: null, userAgent: null },
    action: 'auth.login',
    outcome: 'success',
    resource: { type: null, id: null },
    subjectId: null,
    requestId: null,
    details: {},
  };
}

async function fixture(): Promise<{ dir: string; file: string; key: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'hekim-cli-'));
  const body = record();
  const hash = chainHash(GENESIS_HASH, body);
  const cp = {
    seq: '1',
    hash,
    createdAt: '2026-01-01T00:00:00.000Z',
    keyId: keyIdOf(publicKey),
    prevSignature: '',
  };
  const file = join(dir, 'export.ndjson');
  await writeFile(
    file,
    `${recordLine(body, GENESIS_HASH, hash)}\n\n${checkpointLine(cp, signCheckpoint(cp, privateKey))}\n`,
  );
  const key = join(dir, 'key.pem');
  await writeFile(key, publicKey.export({ format: 'pem', type: 'spki' }).toString());
  return { dir, file, key };
}

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, o: (l: string) => out.push(l), e: (l: string) => err.push(l) };
}

describe('audit:verify command', () => {
  it('verifies with a key, and refuses to run without one (a chain alone proves nothing)', async () => {
    const { file, key } = await fixture();
    const a = io();
    expect(await runAuditVerify([file, '--public-key', key], a.o, a.e)).toBe(0);
    expect(JSON.parse(a.out[0])).toEqual({ valid: true, checked: 1, signaturesChecked: true });
    const b = io();
    expect(await runAuditVerify([file], b.o, b.e)).toBe(2);
    expect(b.out).toEqual([]);
    expect(b.err[0]).toMatch(/^cannot verify without --public-key: only the signed checkpoints/);
  });

  it('refuses an empty file, a cut file and an export without records', async () => {
    const { dir, file, key } = await fixture();
    const whole = await readFile(file, 'utf8');
    const cases: [string, string, RegExp][] = [
      ['empty.ndjson', '', /the file is empty/],
      ['cut.ndjson', whole.slice(0, whole.length - 20), /the file is truncated/],
      ['cut-at-brace.ndjson', whole.trimEnd(), /the file is truncated/],
      [
        'no-records.ndjson',
        whole
          .split('\n')
          .filter((l) => l.startsWith('{"checkpoint"'))
          .join('\n') + '\n',
        /holds no audit records/,
      ],
      [
        'open-bundle.json',
        '{"resourceType":"Bundle","type":"collection","entry":[\n',
        /the file is truncated/,
      ],
    ];
    for (const [name, content, reason] of cases) {
      const path = join(dir, name);
      await writeFile(path, content);
      const r = io();
      expect({ name, code: await runAuditVerify([path, '--public-key', key], r.o, r.e) }).toEqual({
        name,
        code: 2,
      });
      expect(r.err.join('\n')).toMatch(reason);
      expect(r.out).toEqual([]);
    }
  });

  it('reports progress on stderr while it checks a large file', async () => {
    const { dir, key } = await fixture();
    const lines: string[] = [];
    let prev = GENESIS_HASH;
    let hash = prev;
    for (let seq = 1; seq <= 25; seq++) {
      const body: AuditRecordBody = { ...record(), seq: String(seq) };
      hash = chainHash(prev, body);
      lines.push(recordLine(body, prev, hash));
      prev = hash;
    }
    const cp = {
      seq: '25',
      hash,
      createdAt: '2026-01-01T00:00:00.000Z',
      keyId: keyIdOf(publicKey),
      prevSignature: '',
    };
    lines.push(checkpointLine(cp, signCheckpoint(cp, privateKey)));
    const file = join(dir, 'large.ndjson');
    await writeFile(file, lines.join('\n') + '\n');
    const r = io();
    expect(await runAuditVerify([file, '--public-key', key], r.o, r.e, { progressEvery: 10 })).toBe(
      0,
    );
    expect(r.err).toEqual(['checked 10 of 25 records (40%)', 'checked 20 of 25 records (80%)']);
    expect(JSON.parse(r.out[0])).toMatchObject({ valid: true, checked: 25 });
  });

  it('answers 2 to bad usage, a missing file or a key that is not Ed25519', async () => {
    const { dir, file } = await fixture();
    const a = io();
    expect(await runAuditVerify([], a.o, a.e)).toBe(2);
    expect(a.err[0]).toMatch(/usage/);
    expect(await runAuditVerify([file, '--public-key'], a.o, a.e)).toBe(2);
    expect(await runAuditVerify(['--x'], a.o, a.e)).toBe(2);
    expect(await runAuditVerify([join(dir, 'nope')], a.o, a.e)).toBe(2);
    const rsa = join(dir, 'rsa.pem');
    const { publicKey: rsaKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    await writeFile(rsa, rsaKey.export({ format: 'pem', type: 'spki' }).toString());
    const b = io();
    expect(await runAuditVerify([file, '--public-key', rsa], b.o, b.e)).toBe(2);
    expect(b.err[0]).toMatch(/not Ed25519/);
  });

  it('refuses files that are not exports', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hekim-cli-'));
    const cases: [string, string][] = [
      ['a.ndjson', '{"hello":1}\n'],
      ['b.ndjson', '{not json\n'],
      [
        'c.json',
        '{"resourceType":"Bundle","entry":[\n{"resource":{"resourceType":"Patient"}}\n]}\n',
      ],
      [
        'd.json',
        '{"resourceType":"Bundle","entry":[\n{"resource":{"resourceType":"AuditEvent"}}\n]}\n',
      ],
      ['e.csv', 'type,seq,x\r\nother,1,2\r\n'],
    ];
    for (const [name, content] of cases) {
      const path = join(dir, name);
      await writeFile(path, content);
      await expect(async () => {
        for await (const item of readExport(path)) expect(item).toBeDefined();
      }).rejects.toBeInstanceOf(name === 'e.csv' ? Error : ExportFormatError);
    }
    const bin = join(dir, 'x.bin');
    await writeFile(bin, 'PK\u0003\u0004');
    const key = join(dir, 'key.pem');
    await writeFile(key, publicKey.export({ format: 'pem', type: 'spki' }).toString());
    const a = io();
    expect(await runAuditVerify([bin, '--public-key', key], a.o, a.e)).toBe(2);
    expect(a.err[0]).toMatch(/not a Hekim audit export/);
  });
});
