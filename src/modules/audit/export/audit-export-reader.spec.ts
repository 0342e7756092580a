import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chainHash, GENESIS_HASH, type AuditRecordBody } from '../chain/audit-chain';
import type { ChainRecordItem } from '../verification/audit-verifier';
import { ExportFormat, renderExport } from './audit-export-format';
import { readExport, type ExportItem } from './audit-export-reader';

// A record BALP profiles (a patient read), so the event carries the server agent.
const body: AuditRecordBody = {
  seq: '1',
  occurredAt: '2026-01-01T00:00:00.000Z',
  actor: { userId: 'd0c7', role: 'doctor', ip: '203.0.113.7', userAgent: 'app/1.0' },
  action: 'user.read',
  outcome: 'success',
  resource: { type: 'user', id: 'p1' },
  subjectId: 'p1',
  requestId: null,
  details: {},
};
const item: ChainRecordItem = {
  seq: '1',
  prevHash: GENESIS_HASH,
  hash: chainHash(GENESIS_HASH, body),
  body,
};

async function* onePage(): AsyncGenerator<ChainRecordItem[]> {
  await Promise.resolve();
  yield [item];
}

async function fhirExport(sourceHost?: string): Promise<string> {
  let text = '';
  for await (const chunk of renderExport(ExportFormat.Fhir, onePage(), [], 't', sourceHost))
    text += chunk;
  return text;
}

async function read(text: string): Promise<ExportItem[]> {
  const file = join(await mkdtemp(join(tmpdir(), 'hekim-fhir-')), 'export.fhir.json');
  await writeFile(file, text);
  const items: ExportItem[] = [];
  for await (const entry of readExport(file)) items.push(entry);
  return items;
}

describe('FHIR export: the server host travels in the Bundle', () => {
  it('carries the configured host in the header and in every event, and reads back clean', async () => {
    const text = await fhirExport('hekim.example.org');
    const [header, event] = text.split('\n');
    expect(JSON.parse(`${header}]}`).meta.tag).toEqual([
      { system: 'urn:hekim:audit:source-host', code: 'hekim.example.org' },
    ]);
    expect(JSON.parse(event).resource.source.observer).toEqual({ display: 'hekim.example.org' });
    const items = await read(text);
    expect(items).toHaveLength(1);
    expect(items[0].item.mismatch).toBeUndefined();
  });

  it('verifies an export made before the host was carried (no tag: the old name)', async () => {
    const text = (await fhirExport()).replace(/"meta":\{[^\n]*?\]\},/, '');
    expect(text.split('\n')[0]).toBe(
      '{"resourceType":"Bundle","type":"collection","timestamp":"t","entry":[',
    );
    expect(text).toContain('"address":"hekim"');
    const items = await read(text);
    expect(items[0].item.mismatch).toBeUndefined();
  });

  it('flags events whose host differs from the header', async () => {
    const text = (await fhirExport('hekim.example.org')).replace(
      '"code":"hekim.example.org"',
      '"code":"elsewhere.example.org"',
    );
    const items = await read(text);
    expect(items[0].item.mismatch).toBe('the AuditEvent differs from its hashed record');
  });
});
