import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { parse } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import { canonicalJson, type AuditRecordBody, type CheckpointBody } from '../chain/audit-chain';
import {
  CSV_COLUMNS,
  csvCheckpointRow,
  csvLine,
  csvRecordRow,
  ExportFormat,
} from './audit-export-format';
import {
  FHIR_CHAIN_EXTENSION,
  FHIR_CHECKPOINT_EXTENSION,
  FHIR_SOURCE_HOST_TAG,
  LEGACY_SOURCE_HOST,
  toFhirAuditEvent,
  toFhirProvenance,
} from './audit-fhir';
import type { ChainRecordItem, CheckpointItem } from '../verification/audit-verifier';

export type ExportItem =
  { kind: 'record'; item: ChainRecordItem } | { kind: 'checkpoint'; item: CheckpointItem };

// Thrown for a file that is not an export at all (as opposed to a tampered one).
export class ExportFormatError extends Error {}

export async function detectFormat(path: string): Promise<ExportFormat> {
  const file = await open(path, 'r');
  try {
    const { buffer, bytesRead } = await file.read(Buffer.alloc(64), 0, 64, 0);
    const head = buffer.subarray(0, bytesRead).toString('utf8');
    if (head.startsWith('{"resourceType":"Bundle"')) return ExportFormat.Fhir;
    if (head.startsWith(`${CSV_COLUMNS[0]},${CSV_COLUMNS[1]},`)) return ExportFormat.Csv;
    if (head.startsWith('{') || head === '') return ExportFormat.Ndjson;
    throw new ExportFormatError('not a Hekim audit export (NDJSON, CSV or FHIR)');
  } finally {
    await file.close();
  }
}

function fromBase64Json<T>(value: unknown): T {
  if (typeof value !== 'string') throw new ExportFormatError('missing canonical content');
  return JSON.parse(Buffer.from(value, 'base64').toString('utf8')) as T;
}

function parseJson(line: string): Record<string, unknown> {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    throw new ExportFormatError('a line is not JSON');
  }
}

function ndjsonItem(line: string): ExportItem {
  const o = parseJson(line);
  if (o.record !== undefined) {
    const body = o.record as AuditRecordBody;
    return {
      kind: 'record',
      item: { seq: String(body.seq), prevHash: String(o.prevHash), hash: String(o.hash), body },
    };
  }
  if (o.checkpoint !== undefined)
    return {
      kind: 'checkpoint',
      item: { body: o.checkpoint as CheckpointBody, signature: String(o.signature) },
    };
  throw new ExportFormatError('a line is neither a record nor a checkpoint');
}

interface FhirExtension {
  url: string;
  valueString?: string;
  valueBase64Binary?: string;
  extension?: FhirExtension[];
}

// The server's host from the Bundle's first line (`{"resourceType":"Bundle",…,"entry":[`);
// exports made before it was carried there used LEGACY_SOURCE_HOST.
export function fhirSourceHost(header: string): string {
  let bundle: { meta?: { tag?: { system?: unknown; code?: unknown }[] } };
  try {
    bundle = JSON.parse(`${header}]}`) as typeof bundle;
  } catch {
    throw new ExportFormatError('the first line is not the start of a FHIR Bundle');
  }
  const code = bundle.meta?.tag?.find((t) => t.system === FHIR_SOURCE_HOST_TAG)?.code;
  return typeof code === 'string' ? code : LEGACY_SOURCE_HOST;
}

function fhirItem(line: string, sourceHost: string): ExportItem {
  const entry = parseJson(line.replace(/^,/, ''));
  const resource = entry.resource as Record<string, unknown> & { extension?: FhirExtension[] };
  const ext = resource.extension ?? [];
  if (resource.resourceType === 'AuditEvent') {
    const parts = ext.find((e) => e.url === FHIR_CHAIN_EXTENSION)?.extension ?? [];
    const part = (url: string) => parts.find((p) => p.url === url);
    const body = fromBase64Json<AuditRecordBody>(part('canonical')?.valueBase64Binary);
    const item: ChainRecordItem = {
      seq: String(part('seq')?.valueString),
      prevHash: String(part('prevHash')?.valueString),
      hash: String(part('hash')?.valueString),
      body,
    };
    // Every readable field must say what the hashed record says: re-render and compare.
    const expected = toFhirAuditEvent(body, item.prevHash, item.hash, sourceHost);
    if (canonicalJson(expected) !== canonicalJson(resource))
      item.mismatch = 'the AuditEvent differs from its hashed record';
    return { kind: 'record', item };
  }
  if (resource.resourceType === 'Provenance') {
    const body = fromBase64Json<CheckpointBody>(
      ext.find((e) => e.url === FHIR_CHECKPOINT_EXTENSION)?.valueBase64Binary,
    );
    const signature = String((resource.signature as { data?: string }[] | undefined)?.[0]?.data);
    const item: CheckpointItem = { body, signature };
    if (canonicalJson(toFhirProvenance(body, signature)) !== canonicalJson(resource))
      item.mismatch = 'the Provenance differs from its signed checkpoint';
    return { kind: 'checkpoint', item };
  }
  throw new ExportFormatError('a Bundle entry is neither an AuditEvent nor a Provenance');
}

// Re-renders the row from the hashed or signed content and compares it cell by cell, formula
// guard included.
function sameCells(expected: readonly string[], row: readonly string[]): boolean {
  const [rendered] = parseSync(csvLine(expected));
  return rendered.length === row.length && rendered.every((cell, i) => cell === row[i]);
}

function csvItem(row: string[]): ExportItem {
  const [type, seq] = row;
  const canonical = row[16];
  if (type === 'checkpoint') {
    const item: CheckpointItem = {
      body: parseJson(canonical) as unknown as CheckpointBody,
      // A base64 signature may begin with "+", which the formula guard prefixes with "'".
      signature: row[17].replace(/^'/, ''),
    };
    if (!sameCells(csvCheckpointRow(item), row))
      item.mismatch = 'a CSV cell differs from its signed checkpoint';
    return { kind: 'checkpoint', item };
  }
  if (type !== 'record')
    throw new ExportFormatError('a CSV row is neither a record nor a checkpoint');
  const body = parseJson(canonical) as unknown as AuditRecordBody;
  const item: ChainRecordItem = { seq, prevHash: row[14], hash: row[15], body };
  if (!sameCells(csvRecordRow(body, row[14], row[15]), row))
    item.mismatch = 'a CSV cell differs from its hashed record';
  return { kind: 'record', item };
}

// Reads an export file item by item, in file order, without loading it whole.
export async function* readExport(path: string): AsyncGenerator<ExportItem> {
  const format = await detectFormat(path);
  if (format === ExportFormat.Csv) {
    const parser = createReadStream(path).pipe(parse({ from_line: 2, relax_column_count: false }));
    for await (const row of parser as AsyncIterable<string[]>) yield csvItem(row);
    return;
  }
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  let n = 0;
  let sourceHost = LEGACY_SOURCE_HOST;
  for await (const line of lines) {
    n++;
    if (line === '') continue;
    if (format === ExportFormat.Ndjson) yield ndjsonItem(line);
    else if (n === 1) sourceHost = fhirSourceHost(line);
    else if (line !== ']}') yield fhirItem(line, sourceHost);
  }
}
