import { open, readFile } from 'node:fs/promises';
import type { KeyObject } from 'node:crypto';
import { ExportFormat } from '../export/audit-export-format';
import { detectFormat, ExportFormatError, readExport } from '../export/audit-export-reader';
import { publicKeyFromPem } from '../chain/audit-signing';
import { type CheckpointItem, ChainVerifier, type VerifyResult } from './audit-verifier';

export interface FileVerifyResult extends VerifyResult {
  signaturesChecked: boolean;
}

export interface VerifyProgress {
  checked: number;
  total: number;
}

export interface VerifyFileOptions {
  // Called every `progressEvery` records checked (docs/audit.md: progress on large files).
  onProgress?: (progress: VerifyProgress) => void;
  progressEvery?: number;
}

// The last bytes of the file: an export always ends with a complete line, and a FHIR Bundle
// with its closing "]}".
async function tailOf(path: string, bytes: number): Promise<{ size: number; tail: string }> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const length = Math.min(bytes, size);
    const { buffer } = await file.read(Buffer.alloc(length), 0, length, size - length);
    return { size, tail: buffer.toString('latin1') };
  } finally {
    await file.close();
  }
}

// Verifies an export with nothing but the file and the public key: the checkpoints (at the
// end of the file) are read first, then the records are streamed through the verifier. What
// would prove nothing is refused with an ExportFormatError: an empty file, a file whose last
// line is cut, an export without records.
export async function verifyExportFile(
  path: string,
  publicKey?: KeyObject,
  options: VerifyFileOptions = {},
): Promise<FileVerifyResult> {
  const format = await detectFormat(path);
  const { size, tail } = await tailOf(path, 4);
  if (size === 0) throw new ExportFormatError('the file is empty: there is nothing to verify');
  const ending = format === ExportFormat.Fhir ? /\]\}\r?\n$/ : /\n$/;
  if (!ending.test(tail))
    throw new ExportFormatError(
      'the file is truncated (its last line is cut): download the export again',
    );
  const checkpoints: CheckpointItem[] = [];
  let total = 0;
  for await (const entry of readExport(path)) {
    if (entry.kind === 'checkpoint') checkpoints.push(entry.item);
    else total++;
  }
  if (total === 0)
    throw new ExportFormatError('the export holds no audit records: there is nothing to verify');
  const verifier = new ChainVerifier({
    publicKey,
    checkpoints,
    reachesEnd: true,
    requireSignedEnd: true,
  });
  const every = options.progressEvery ?? 50_000;
  let checked = 0;
  for await (const entry of readExport(path)) {
    if (entry.kind !== 'record') continue;
    verifier.push(entry.item);
    if (verifier.failed) break;
    if (++checked % every === 0) options.onProgress?.({ checked, total });
  }
  return { ...verifier.finish(), signaturesChecked: publicKey !== undefined };
}

const USAGE = 'usage: npm run audit:verify -- <export file> --public-key <public key PEM file>';

// `npm run audit:verify`: prints the result as JSON; exit 0 valid, 1 invalid, 2 refused
// (bad usage, no public key, not an export, an empty or cut file). Progress goes to stderr.
export async function runAuditVerify(
  argv: readonly string[],
  out: (line: string) => void,
  err: (line: string) => void,
  options: { progressEvery?: number } = {},
): Promise<number> {
  const args = [...argv];
  let keyPath: string | undefined;
  const k = args.indexOf('--public-key');
  if (k >= 0) {
    keyPath = args[k + 1];
    args.splice(k, 2);
  }
  if (args.length !== 1 || (k >= 0 && !keyPath) || args[0].startsWith('--')) {
    err(USAGE);
    return 2;
  }
  if (!keyPath) {
    // Without the key only the hash chain could be checked, and whoever edits a file can
    // recompute a chain: a "valid" answer would prove nothing.
    err(
      'cannot verify without --public-key: only the signed checkpoints prove the records are ' +
        "Hekim's (get the key from GET /api/v1/audit/public-key and keep it apart from the export).",
    );
    err(USAGE);
    return 2;
  }
  try {
    const key = publicKeyFromPem(await readFile(keyPath, 'utf8'));
    const result = await verifyExportFile(args[0], key, {
      progressEvery: options.progressEvery,
      onProgress: ({ checked, total }) =>
        err(`checked ${checked} of ${total} records (${Math.floor((checked * 100) / total)}%)`),
    });
    out(JSON.stringify(result));
    return result.valid ? 0 : 1;
  } catch (e) {
    err(`cannot verify: ${e instanceof Error ? e.message : String(e)}`);
    return 2;
  }
}
