import { readFile } from 'node:fs/promises';
import type { KeyObject } from 'node:crypto';
import { readExport } from './audit-export-reader';
import { publicKeyFromPem } from './audit-signing';
import { type CheckpointItem, ChainVerifier, type VerifyResult } from './audit-verifier';

export interface FileVerifyResult extends VerifyResult {
  signaturesChecked: boolean;
}

// Verifies an export with nothing but the file and the public key: the checkpoints (at the
// end of the file) are read first, then the records are streamed through the verifier.
export async function verifyExportFile(
  path: string,
  publicKey?: KeyObject,
): Promise<FileVerifyResult> {
  const checkpoints: CheckpointItem[] = [];
  for await (const entry of readExport(path)) {
    if (entry.kind === 'checkpoint') checkpoints.push(entry.item);
  }
  const verifier = new ChainVerifier({
    publicKey,
    checkpoints,
    reachesEnd: true,
    requireSignedEnd: true,
  });
  for await (const entry of readExport(path)) {
    if (entry.kind === 'record') verifier.push(entry.item);
    if (verifier.failed) break;
  }
  return { ...verifier.finish(), signaturesChecked: publicKey !== undefined };
}

const USAGE = 'usage: npm run audit:verify -- <export file> [--public-key <public key PEM file>]';

// `npm run audit:verify`: prints the result as JSON; exit 0 valid, 1 invalid, 2 unusable input.
export async function runAuditVerify(
  argv: readonly string[],
  out: (line: string) => void,
  err: (line: string) => void,
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
  try {
    const key = keyPath ? publicKeyFromPem(await readFile(keyPath, 'utf8')) : undefined;
    if (!key)
      err('warning: no --public-key given; only the hash chain is checked, not the signatures');
    const result = await verifyExportFile(args[0], key);
    out(JSON.stringify(result));
    return result.valid ? 0 : 1;
  } catch (e) {
    err(`cannot verify: ${e instanceof Error ? e.message : String(e)}`);
    return 2;
  }
}
