import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  chainHash,
  checkpointLine,
  GENESIS_HASH,
  recordLine,
  type AuditRecordBody,
} from './audit-chain';
import { ExportFormatError, readExport } from './audit-export-reader';
import { keyIdOf, signCheckpoint } from './audit-signing';
import { runAuditVerify } from './audit-verify-cli';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');

async function fixture(): Promise<{ dir: string; file: string; key: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'hekim-cli-'));
  const body: AuditRecordBody = {
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
  it('verifies with a key, and warns that signatures are skipped without one', async () => {
    const { file, key } = await fixture();
    const a = io();
    expect(await runAuditVerify([file, '--public-key', key], a.o, a.e)).toBe(0);
    expect(JSON.parse(a.out[0])).toEqual({ valid: true, checked: 1, signaturesChecked: true });
    const b = io();
    expect(await runAuditVerify([file], b.o, b.e)).toBe(0);
    expect(b.err[0]).toMatch(/only the hash chain/);
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
    const a = io();
    expect(await runAuditVerify([bin], a.o, a.e)).toBe(2);
    expect(a.err[1]).toMatch(/not a Hekim audit export/);
  });
});
