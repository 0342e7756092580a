import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { parse } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import type { AuditRecordBody, CheckpointBody } from './audit-chain';
import { CSV_COLUMNS, csvLine, csvRecordRow, ExportFormat } from './audit-export-format';
import { FHIR_CHAIN_EXTENSION, FHIR_CHECKPOINT_EXTENSION } from './audit-fhir';
import type { ChainRecordItem, CheckpointItem } from './audit-verifier';

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

function fhirItem(line: string): ExportItem {
  const entry = parseJson(line.replace(/^,/, ''));
  const resource = entry.resource as Record<string, unknown> & { extension?: FhirExtension[] };
  const ext = resource.extension ?? [];
  if (resource.resourceType === 'AuditEvent') {
    const parts = ext.find((e) => e.url === FHIR_CHAIN_EXTENSION)?.extension ?? [];
    const part = (url: string) => parts.find((p) => p.url === url);
    const body = fromBase64Json<AuditRecordBody>(part('canonical')?.valueBase64Binary);
    const subtype = resource.subtype as { code?: string }[] | undefined;
    const item: ChainRecordItem = {
      seq: String(part('seq')?.valueString),
      prevHash: String(part('prevHash')?.valueString),
      hash: String(part('hash')?.valueString),
      body,
    };
    // The readable fields must say what the hashed record says.
    if (
      resource.id !== body.seq ||
      resource.recorded !== body.occurredAt ||
      subtype?.[0]?.code !== body.action ||
      resource.outcomeDesc !== body.outcome
    )
      item.mismatch = 'the AuditEvent differs from its hashed record';
    return { kind: 'record', item };
  }
  if (resource.resourceType === 'Provenance') {
    const body = fromBase64Json<CheckpointBody>(
      ext.find((e) => e.url === FHIR_CHECKPOINT_EXTENSION)?.valueBase64Binary,
    );
    const signature = (resource.signature as { data?: string }[] | undefined)?.[0]?.data;
    return { kind: 'checkpoint', item: { body, signature: String(signature) } };
  }
  throw new ExportFormatError('a Bundle entry is neither an AuditEvent nor a Provenance');
}

function csvItem(row: string[]): ExportItem {
  const [type, seq] = row;
  const canonical = row[16];
  if (type === 'checkpoint')
    return {
      kind: 'checkpoint',
      item: {
        body: parseJson(canonical) as unknown as CheckpointBody,
        // A base64 signature may begin with "+", which the formula guard prefixes with "'".
        signature: row[17].replace(/^'/, ''),
      },
    };
  if (type !== 'record')
    throw new ExportFormatError('a CSV row is neither a record nor a checkpoint');
  const body = parseJson(canonical) as unknown as AuditRecordBody;
  const item: ChainRecordItem = { seq, prevHash: row[14], hash: row[15], body };
  // Re-render the row from the hashed record and compare cell by cell, formula guard included.
  const expected = parseSync(csvLine(csvRecordRow(body, row[14], row[15])));
  if (expected[0].some((cell, i) => cell !== row[i]))
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
  for await (const line of lines) {
    n++;
    if (line === '') continue;
    if (format === ExportFormat.Ndjson) yield ndjsonItem(line);
    else if (n > 1 && line !== ']}') yield fhirItem(line);
  }
}
