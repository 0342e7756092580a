import type * as fhir4 from 'fhir/r4';
import { stringify } from 'csv-stringify/sync';
import { canonicalJson, checkpointLine, recordLine, type AuditRecordBody } from './audit-chain';
import { toFhirAuditEvent, toFhirProvenance } from './audit-fhir';
import type { ChainRecordItem, CheckpointItem } from './audit-verifier';

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

// Renders an export piece by piece: records first (in seq order), then the checkpoints that
// sign them. Nothing is buffered beyond one record.
export async function* renderExport(
  format: ExportFormat,
  records: AsyncIterable<ChainRecordItem>,
  checkpoints: readonly CheckpointItem[],
  generatedAt: string,
): AsyncGenerator<string> {
  switch (format) {
    case ExportFormat.Ndjson:
      for await (const r of records) yield `${recordLine(r.body, r.prevHash, r.hash)}\n`;
      for (const cp of checkpoints) yield `${checkpointLine(cp.body, cp.signature)}\n`;
      return;
    case ExportFormat.Csv:
      yield csvLine(CSV_COLUMNS);
      for await (const r of records) yield csvLine(csvRecordRow(r.body, r.prevHash, r.hash));
      for (const cp of checkpoints) yield csvLine(csvCheckpointRow(cp));
      return;
    case ExportFormat.Fhir: {
      // One entry per line, so that the Bundle can be written and read as a stream.
      yield `{"resourceType":"Bundle","type":"collection","timestamp":${JSON.stringify(generatedAt)},"entry":[\n`;
      let first = true;
      const entry = (resource: fhir4.AuditEvent | fhir4.Provenance): string => {
        const line = `${first ? '' : ','}${JSON.stringify({ resource })}\n`;
        first = false;
        return line;
      };
      for await (const r of records) yield entry(toFhirAuditEvent(r.body, r.prevHash, r.hash));
      for (const cp of checkpoints) yield entry(toFhirProvenance(cp.body, cp.signature));
      yield ']}\n';
      return;
    }
  }
}
