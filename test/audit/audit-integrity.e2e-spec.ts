import { execFile } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { readFile, writeFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import { Fhir } from 'fhir';
import { DataSource } from 'typeorm';
import { AuditAction, AuditOutcome } from '../../src/modules/audit/audit-action';
import {
  canonicalJson,
  chainHash,
  recordLine,
  type AuditRecordBody,
} from '../../src/modules/audit/chain/audit-chain';
import { AuditCheckpointer } from '../../src/modules/audit/chain/audit-checkpointer';
import { ExportFormat } from '../../src/modules/audit/export/audit-export-format';
import {
  checkpointSignatureValid,
  publicKeyFromPem,
} from '../../src/modules/audit/chain/audit-signing';
import { AuditTrailService } from '../../src/modules/audit/export/audit-trail.service';
import { verifyExportFile } from '../../src/modules/audit/verification/audit-verify-cli';
import { AuditService } from '../../src/modules/audit/audit.service';
import { createTestApp, type TestApp } from '../support/test-app';
import { ctx, exportToFile, recordMany, tempDir, writeLines } from './audit-support';

const run = promisify(execFile);
const CLI = join(__dirname, '..', '..', 'dist', 'scripts', 'audit-verify.js');

interface NdjsonRecord {
  hash: string;
  prevHash: string;
  record: AuditRecordBody;
}

describe('audit trail: checkpoints, export and offline verification', () => {
  let t: TestApp;
  let dir: string;
  let keyFile: string;
  const SOURCE_HOST = 'audit.hekim.test';
  let db: DataSource;

  beforeAll(async () => {
    t = await createTestApp({
      env: { AUDIT_CHECKPOINT_EVERY_RECORDS: '5', AUDIT_SOURCE_HOST: SOURCE_HOST },
    });
    db = t.app.get(DataSource);
    await recordMany(t, 23);
    dir = await tempDir();
    keyFile = join(dir, 'public.pem');
    await writeFile(keyFile, t.app.get(AuditTrailService).publicKey().publicKey);
  });
  afterAll(async () => {
    await t.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('signs a checkpoint every N records, each one carrying the previous signature', async () => {
    const cps = await db.query<
      {
        seq: string;
        hash: string;
        created_at: Date;
        key_id: string;
        prev_signature: string;
        signature: string;
      }[]
    >('SELECT * FROM audit_checkpoints ORDER BY seq');
    expect(cps.map((c) => c.seq)).toEqual(['5', '10', '15', '20']);
    const key = t.app.get(AuditCheckpointer).publicKey;
    let prev = '';
    for (const c of cps) {
      const [row] = await db.query<{ hash: string }[]>(
        'SELECT hash FROM audit_events WHERE seq = $1',
        [c.seq],
      );
      expect(c.hash).toBe(row.hash);
      expect(c.prev_signature).toBe(prev);
      const body = {
        seq: c.seq,
        hash: c.hash,
        createdAt: c.created_at.toISOString(),
        keyId: c.key_id,
        prevSignature: c.prev_signature,
      };
      expect(checkpointSignatureValid(body, c.signature, key)).toBe(true);
      expect(checkpointSignatureValid({ ...body, hash: '1'.repeat(64) }, c.signature, key)).toBe(
        false,
      );
      prev = c.signature;
    }
    await expect(db.query('UPDATE audit_checkpoints SET hash = hash')).rejects.toThrow(
      /append-only/,
    );
    await expect(db.query('DELETE FROM audit_checkpoints')).rejects.toThrow(/append-only/);
    await expect(db.query('TRUNCATE audit_checkpoints')).rejects.toThrow(/append-only/);
  });

  it.each([ExportFormat.Ndjson, ExportFormat.Csv, ExportFormat.Fhir])(
    'exports %s ending on a signed checkpoint, and the file verifies offline (API and CLI)',
    async (format) => {
      const file = await exportToFile(t, format, dir);
      const key = publicKeyFromPem(await readFile(keyFile, 'utf8'));
      const result = await verifyExportFile(file.path, key);
      expect(result).toMatchObject({ valid: true, signaturesChecked: true });
      const [, last] = /hekim-audit-1-(\d+)\./.exec(file.filename) ?? [];
      expect(result.checked).toBe(Number(last));
      const cli = await run(process.execPath, [CLI, file.path, '--public-key', keyFile]);
      expect(JSON.parse(cli.stdout)).toMatchObject({ valid: true, checked: Number(last) });
    },
  );

  it('reports a tampered export through the CLI with exit code 1, and unusable input with 2', async () => {
    const { text } = await exportToFile(t, ExportFormat.Ndjson, dir);
    const lines = text.trimEnd().split('\n');
    const bad = await writeLines(
      dir,
      'cli-bad.ndjson',
      lines.filter((_, i) => i !== 3),
    );
    await expect(run(process.execPath, [CLI, bad, '--public-key', keyFile])).rejects.toMatchObject({
      code: 1,
      stdout: expect.stringContaining('"firstInvalidSeq":"4"'),
    });
    await expect(run(process.execPath, [CLI])).rejects.toMatchObject({ code: 2 });
    const junk = await writeLines(dir, 'junk.txt', ['hello']);
    await expect(run(process.execPath, [CLI, junk, '--public-key', keyFile])).rejects.toMatchObject(
      { code: 2 },
    );
  });

  describe('tamper matrix on a copy of an NDJSON export', () => {
    let records: string[];
    let checkpoints: string[];
    let key: ReturnType<typeof createPublicKey>;
    const parsed = (line: string) => JSON.parse(line) as NdjsonRecord;

    beforeAll(async () => {
      const { text } = await exportToFile(t, ExportFormat.Ndjson, dir);
      const lines = text.trimEnd().split('\n');
      records = lines.filter((l) => l.startsWith('{"hash"'));
      checkpoints = lines.filter((l) => l.startsWith('{"checkpoint"'));
      key = publicKeyFromPem(await readFile(keyFile, 'utf8'));
    });

    async function verify(name: string, recs: string[], cps = checkpoints) {
      return verifyExportFile(await writeLines(dir, name, [...recs, ...cps]), key);
    }

    // Rewrites records from index `start` on and recomputes every hash after them.
    function recomputeFrom(start: number, edit: (b: AuditRecordBody) => void): string[] {
      const out = records.slice(0, start);
      let prev = parsed(records[start]).prevHash;
      for (const line of records.slice(start)) {
        const r = parsed(line);
        if (out.length === start) edit(r.record);
        const hash = chainHash(prev, r.record);
        out.push(recordLine(r.record, prev, hash));
        prev = hash;
      }
      return out;
    }

    it('the untouched copy is valid', async () => {
      expect(await verify('clean.ndjson', records)).toMatchObject({ valid: true });
    });

    it('edit a field', async () => {
      const copy = [...records];
      const r = parsed(copy[7]);
      r.record.actor.ip = '198.51.100.66';
      copy[7] = recordLine(r.record, r.prevHash, r.hash);
      expect(await verify('edit.ndjson', copy)).toMatchObject({
        valid: false,
        firstInvalidSeq: '8',
      });
    });

    it('delete a row', async () => {
      const copy = records.filter((_, i) => i !== 7);
      expect(await verify('delete.ndjson', copy)).toMatchObject({
        valid: false,
        firstInvalidSeq: '8',
      });
    });

    it('insert a row', async () => {
      const after = parsed(records[7]);
      const forged: AuditRecordBody = { ...after.record, seq: '9', action: 'auth.logout' };
      const copy = [...records];
      copy.splice(8, 0, recordLine(forged, after.hash, chainHash(after.hash, forged)));
      expect(await verify('insert.ndjson', copy)).toMatchObject({
        valid: false,
        firstInvalidSeq: '9',
      });
    });

    it('reorder two rows', async () => {
      const copy = [...records];
      [copy[7], copy[8]] = [copy[8], copy[7]];
      expect(await verify('reorder.ndjson', copy)).toMatchObject({
        valid: false,
        firstInvalidSeq: '8',
      });
    });

    it('truncate the tail', async () => {
      const copy = records.slice(0, records.length - 3);
      expect(await verify('truncate.ndjson', copy)).toMatchObject({
        valid: false,
        firstInvalidSeq: String(records.length - 2),
      });
    });

    it('replace the tail with a recomputed chain: caught by the signed checkpoints', async () => {
      // Rewritten from seq 11, the first record after checkpoint 10: named exactly.
      const fromEleven = recomputeFrom(10, (b) => (b.outcome = 'denied'));
      expect(await verify('recomputed-11.ndjson', fromEleven)).toMatchObject({
        valid: false,
        firstInvalidSeq: '11',
        reason: 'the chain disagrees with a signed checkpoint',
      });
      // Rewritten from seq 13: the signatures vouch for nothing after checkpoint 10.
      const fromThirteen = recomputeFrom(12, (b) => (b.details = { forged: true }));
      expect(await verify('recomputed-13.ndjson', fromThirteen)).toMatchObject({
        valid: false,
        firstInvalidSeq: '11',
      });
      // Dropping the checkpoints that would disagree leaves the tail unsigned.
      const kept = checkpoints.filter((l) => /"seq":"(5|10)"/.test(l));
      expect(await verify('recomputed-nocp.ndjson', fromEleven, kept)).toMatchObject({
        valid: false,
        firstInvalidSeq: '11',
      });
    });

    it.each([
      [ExportFormat.Csv, '\r\n'],
      [ExportFormat.Fhir, '\n'],
    ])('the same tampering is named in a %s copy', async (format, eol) => {
      const { text } = await exportToFile(t, format, dir);
      // Line k holds seq k in both formats (line 0 is the CSV header or the Bundle's opening).
      const lines = text.split(eol);
      const save = async (name: string, content: string[]) => {
        const path = join(dir, `${name}.${format}`);
        await writeFile(path, content.join(eol));
        return verifyExportFile(path, key);
      };
      expect(await save('clean', lines)).toMatchObject({ valid: true });
      const edited = [...lines];
      edited[8] = edited[8].replace('203.0.113.7', '198.51.100.66');
      expect(await save('edit', edited)).toMatchObject({ valid: false, firstInvalidSeq: '8' });
      const deleted = lines.filter((_, i) => i !== 8);
      expect(await save('delete', deleted)).toMatchObject({ valid: false, firstInvalidSeq: '8' });
      const swapped = [...lines];
      [swapped[8], swapped[9]] = [swapped[9], swapped[8]];
      expect(await save('reorder', swapped)).toMatchObject({ valid: false, firstInvalidSeq: '8' });
      // The readable side of a checkpoint must match what was signed, too.
      const backdated = lines.map((l) =>
        l.includes('"resourceType":"Provenance"')
          ? l.replace(/("recorded":")\d{4}/, '$11999')
          : l.replace(/^(checkpoint,\d+,)\d{4}/, '$11999'),
      );
      expect(backdated).not.toEqual(lines);
      expect(await save('backdated', backdated)).toMatchObject({ valid: false });
    });

    it('a checkpoint signed with another key is refused', async () => {
      const other = await createTestApp();
      try {
        await recordMany(other, 5);
        await other.app.get(AuditCheckpointer).checkpointHead();
        const { text } = await exportToFile(other, ExportFormat.Ndjson, dir);
        const foreign = text
          .trimEnd()
          .split('\n')
          .filter((l) => l.startsWith('{"checkpoint"'));
        const result = await verify('foreign.ndjson', records.slice(0, 5), foreign.slice(0, 1));
        expect(result).toMatchObject({ valid: false, firstInvalidSeq: '1' });
      } finally {
        await other.close();
      }
    });
  });

  it('keeps user-controlled strings as data: CRLF, quotes and formulas forge nothing in any format', async () => {
    const hostile =
      '=HYPERLINK("http://x")\r\n{"hash":"00","record":{}}\r\n"record","1"\u0000\ud800';
    await t.app.get(AuditService).record({
      action: AuditAction.AuthLogin,
      outcome: AuditOutcome.Failure,
      actor: { userAgent: hostile, ip: '@SUM(1)' },
      resource: { type: 'user', id: '+cmd' },
      details: { note: '-2+3', nested: { line: 'a\r\nb' } },
    });
    const key = publicKeyFromPem(await readFile(keyFile, 'utf8'));
    const [{ head }] = await db.query<{ head: string }[]>(
      'SELECT max(seq) AS head FROM audit_events',
    );

    const nd = await exportToFile(t, ExportFormat.Ndjson, dir);
    const ndLines = nd.text.trimEnd().split('\n');
    expect(ndLines.every((l) => l.startsWith('{"hash"') || l.startsWith('{"checkpoint"'))).toBe(
      true,
    );
    expect(await verifyExportFile(nd.path, key)).toMatchObject({ valid: true });

    const csv = await exportToFile(t, ExportFormat.Csv, dir);
    expect(csv.text.endsWith('\r\n')).toBe(true);
    const rows = parse(csv.text);
    const row = rows.find((r) => r[1] === head && r[0] === 'record');
    expect(row?.[6]).toBe(
      `'=HYPERLINK("http://x")\r\n{"hash":"00","record":{}}\r\n"record","1"\ufffd\ufffd`,
    );
    expect(row?.[5]).toBe(`'@SUM(1)`);
    expect(row?.[10]).toBe(`'+cmd`);
    expect(
      rows.every((r) => r.length === 18 && ['type', 'record', 'checkpoint'].includes(r[0])),
    ).toBe(true);
    expect(await verifyExportFile(csv.path, key)).toMatchObject({ valid: true });

    // A readable cell changed without its canonical twin is caught.
    const tampered = csv.text.replace(`'@SUM(1)`, '198.51.100.1');
    const tamperedPath = join(dir, 'tampered.csv');
    await writeFile(tamperedPath, tampered);
    expect(await verifyExportFile(tamperedPath, key)).toMatchObject({
      valid: false,
      firstInvalidSeq: head,
    });

    const fhir = await exportToFile(t, ExportFormat.Fhir, dir);
    expect(await verifyExportFile(fhir.path, key)).toMatchObject({ valid: true });
  });

  it('maps the FHIR export onto R4 AuditEvent resources that validate against the R4 definitions', async () => {
    const { text } = await exportToFile(t, ExportFormat.Fhir, dir);
    const bundle = JSON.parse(text) as {
      resourceType: string;
      meta: { tag: { system: string; code: string }[] };
      entry: { resource: { resourceType: string; [k: string]: unknown } }[];
    };
    expect(bundle.resourceType).toBe('Bundle');
    // The host travels in the Bundle, for the offline verifier (docs/audit.md, "IHE BALP").
    expect(bundle.meta.tag).toEqual([{ system: 'urn:hekim:audit:source-host', code: SOURCE_HOST }]);
    const events = bundle.entry.filter((e) => e.resource.resourceType === 'AuditEvent');
    expect(events.length).toBeGreaterThan(20);
    expect(bundle.entry.some((e) => e.resource.resourceType === 'Provenance')).toBe(true);
    const login = events.find((e) => e.resource.id === '1')?.resource;
    expect(login).toMatchObject({
      type: { code: '110114' },
      // Hekim's action code, then the DICOM Login subtype (docs/audit.md, "IHE BALP").
      subtype: [{ code: 'auth.login' }, { code: '110122' }],
      action: 'E',
      outcome: '4',
      outcomeDesc: 'failure',
      agent: [
        {
          who: { identifier: { value: '6f1c0b7e-8a55-4c1e-9a52-3f1f0f6e2d10' } },
          role: [{ coding: [{ code: 'doctor' }] }],
          network: { address: '203.0.113.7', type: '2' },
        },
      ],
      // The configured host (AUDIT_SOURCE_HOST), as the server's address.
      source: { site: 'hekim', observer: { display: SOURCE_HOST } },
      entity: [
        { what: { identifier: { value: 'u-0' } } },
        {
          what: { identifier: { value: '0e8f5c1a-2b3c-4d5e-8f70-1a2b3c4d5e6f' } },
          // A sign-in is about the account holder: object-role 6 User.
          role: { code: '6' },
        },
      ],
    });
    const result = new Fhir().validate(bundle);
    const errors = result.messages.filter((m) => String(m.severity) === 'error');
    expect(errors).toEqual([]);
    expect(result.valid).toBe(true);
    // The validator does reject a broken AuditEvent (sanity check of the check).
    const broken = {
      ...bundle,
      entry: [{ resource: { ...events[0].resource, recorded: 'yesterday', action: 'X' } }],
    };
    expect(new Fhir().validate(broken).valid).toBe(false);
  });

  it('verifies online, and the verify and export calls are themselves recorded', async () => {
    const trail = t.app.get(AuditTrailService);
    const result = await trail.verify({}, ctx);
    expect(result.valid).toBe(true);
    expect(result.checked).toBeGreaterThan(23);
    const ranged = await trail.verify(
      { from: new Date(0), to: new Date(Date.now() + 60_000) },
      ctx,
    );
    expect(ranged.valid).toBe(true);
    const actions = await db.query<{ action: string; details: Record<string, unknown> }[]>(
      `SELECT action, details FROM audit_events WHERE action IN ('audit.verify', 'audit.export') ORDER BY seq`,
    );
    expect(actions.some((a) => a.action === 'audit.export' && a.details.format === 'csv')).toBe(
      true,
    );
    expect(actions.filter((a) => a.action === 'audit.verify').at(-1)?.details).toMatchObject({
      valid: true,
    });
    expect(canonicalJson({ b: 1, a: [{ d: null, c: 'é' }] })).toBe(
      '{"a":[{"c":"é","d":null}],"b":1}',
    );
  });
});
