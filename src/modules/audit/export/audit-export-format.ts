import type * as fhir4 from 'fhir/r4';
import { stringify } from 'csv-stringify/sync';
import {
  canonicalJson,
  checkpointLine,
  recordLine,
  type AuditRecordBody,
} from '../chain/audit-chain';
import {
  FHIR_SOURCE_HOST_TAG,
  LEGACY_SOURCE_HOST,
  toFhirAuditEvent,
  toFhirProvenance,
} from './audit-fhir';
import type { ChainRecordItem, CheckpointItem } from '../verification/audit-verifier';

export enum ExportFormat {
  Ndjson = 'ndjson',
  Csv = 'csv',
  Fhir = 'fhir',
}

export const EXPORT_MEDIA: Record<ExportFormat, { contentType: string; extension: string }> = {
  [ExportFormat.Ndjson]: { contentType: 'application/x-ndjson', extension: 'ndjson' },
  [ExportFormat.Csv]: { contentType: 'text/csv; charset=utf-8', extension: 'csv' },
  [ExportFormat.Fhir]: { contentType: 'application/fhir+json', extension: 'fhir.json' },
};

export const CSV_COLUMNS = [
  'type',
  'seq',
  'occurredAt',
  'actorUserId',
  'actorRole',
  'actorIp',
  'actorUserAgent',
  'action',
  'outcome',
  'resourceType',
  'resourceId',
  'subjectId',
  'requestId',
  'details',
  'prevHash',
  'hash',
  'canonical',
  'signature',
] as const;

// RFC 4180 (CRLF, quotes doubled) and cells that spreadsheet tools would run as formulas
// (=, +, -, @, tab, CR first) prefixed with an apostrophe. `canonical` is the exact hashed
// text and starts with "{", so the prefix never touches what is verified.
export const CSV_OPTIONS = { record_delimiter: 'windows', escape_formulas: true } as const;

export function csvRecordRow(body: AuditRecordBody, prevHash: string, hash: string): string[] {
  return [
    'record',
    body.seq,
    body.occurredAt,
    body.actor.userId ?? '',
    body.actor.role ?? '',
    body.actor.ip ?? '',
    body.actor.userAgent ?? '',
    body.action,
    body.outcome,
    body.resource.type ?? '',
    body.resource.id ?? '',
    body.subjectId ?? '',
    body.requestId ?? '',
    canonicalJson(body.details),
    prevHash,
    hash,
    canonicalJson(body),
    '',
  ];
}

export function csvCheckpointRow(cp: CheckpointItem): string[] {
  const row: string[] = CSV_COLUMNS.map(() => '');
  row[0] = 'checkpoint';
  row[1] = cp.body.seq;
  row[2] = cp.body.createdAt;
  row[15] = cp.body.hash;
  row[16] = canonicalJson(cp.body);
  row[17] = cp.signature;
  return row;
}

export function csvLine(row: readonly string[]): string {
  return stringify([row], CSV_OPTIONS);
}

// Characters per yielded chunk: the response makes one socket write per chunk, not per record.
export const EXPORT_CHUNK_SIZE = 64 * 1024;

// Joins the lines of each page into chunks of about EXPORT_CHUNK_SIZE characters. Pulled on
// demand, so backpressure holds and memory stays at a page and a chunk.
async function* chunked<T>(
  pages: AsyncIterable<readonly T[]>,
  line: (r: T) => string,
): AsyncGenerator<string> {
  let chunk = '';
  for await (const page of pages) {
    for (const r of page) {
      chunk += line(r);
      if (chunk.length >= EXPORT_CHUNK_SIZE) {
        yield chunk;
        chunk = '';
      }
    }
  }
  if (chunk !== '') yield chunk;
}

function* ndjsonCheckpoints(checkpoints: readonly CheckpointItem[]): Generator<string> {
  if (checkpoints.length > 0)
    yield checkpoints.map((cp) => `${checkpointLine(cp.body, cp.signature)}\n`).join('');
}

// A record's NDJSON line, newline included, from the parts the database writes
// (AuditRepository.findChainLinePage): only the details are canonicalised here, from the
// stored jsonb text parsed as the driver parses it, so the line is recordLine's text.
export function ndjsonRecordLine(head: string, details: string, tail: string): string {
  return head + canonicalJson(JSON.parse(details)) + tail;
}

// The NDJSON export from lines already rendered (newline included), page by page, in the
// same chunks as renderExport, then the checkpoints.
export async function* renderNdjsonLines(
  pages: AsyncIterable<readonly string[]>,
  checkpoints: readonly CheckpointItem[],
): AsyncGenerator<string> {
  yield* chunked(pages, (line) => line);
  yield* ndjsonCheckpoints(checkpoints);
}

// The NDJSON export from record lines sent as they are (whole lines, newline included, in
// chunks of any size), then the checkpoints.
export async function* renderNdjson(
  records: AsyncIterable<string | Buffer>,
  checkpoints: readonly CheckpointItem[],
): AsyncGenerator<string | Buffer> {
  yield* records;
  yield* ndjsonCheckpoints(checkpoints);
}

// Renders an export chunk by chunk: records first (in seq order, read a page at a time),
// then the checkpoints that sign them. Nothing is buffered beyond one page and one chunk.
export async function* renderExport(
  format: ExportFormat,
  pages: AsyncIterable<readonly ChainRecordItem[]>,
  checkpoints: readonly CheckpointItem[],
  generatedAt: string,
  sourceHost: string = LEGACY_SOURCE_HOST,
): AsyncGenerator<string> {
  switch (format) {
    case ExportFormat.Ndjson:
      yield* chunked(pages, (r) => `${recordLine(r.body, r.prevHash, r.hash)}\n`);
      yield* ndjsonCheckpoints(checkpoints);
      return;
    case ExportFormat.Csv:
      yield csvLine(CSV_COLUMNS);
      yield* chunked(pages, (r) => csvLine(csvRecordRow(r.body, r.prevHash, r.hash)));
      if (checkpoints.length > 0)
        yield checkpoints.map((cp) => csvLine(csvCheckpointRow(cp))).join('');
      return;
    case ExportFormat.Fhir: {
      // One entry per line, so that the Bundle can be written and read as a stream. The first
      // line carries the server's host (readExport takes it from there).
      const tag = { system: FHIR_SOURCE_HOST_TAG, code: sourceHost };
      yield `{"resourceType":"Bundle","meta":${JSON.stringify({ tag: [tag] })},"type":"collection","timestamp":${JSON.stringify(generatedAt)},"entry":[\n`;
      let first = true;
      const entry = (resource: fhir4.AuditEvent | fhir4.Provenance): string => {
        const line = `${first ? '' : ','}${JSON.stringify({ resource })}\n`;
        first = false;
        return line;
      };
      yield* chunked(pages, (r) => entry(toFhirAuditEvent(r.body, r.prevHash, r.hash, sourceHost)));
      yield `${checkpoints.map((cp) => entry(toFhirProvenance(cp.body, cp.signature))).join('')}]}\n`;
      return;
    }
  }
}
