import type { KeyObject } from 'node:crypto';
import {
  type AuditRecordBody,
  canonicalJson,
  chainHashOfCanonical,
  type CheckpointBody,
  GENESIS_HASH,
} from '../chain/audit-chain';
import { checkpointSignatureValid } from '../chain/audit-signing';

export interface ChainRecordItem {
  seq: string;
  prevHash: string;
  hash: string;
  body: AuditRecordBody;
  // Set by an export reader when the readable fields disagree with the hashed record.
  mismatch?: string;
  // canonicalJson(body), when the reader has computed it already.
  canonical?: string;
}

export interface CheckpointItem {
  body: CheckpointBody;
  signature: string;
  // Set by an export reader when the readable fields disagree with the signed content.
  mismatch?: string;
}

export interface VerifyOptions {
  // Without a key only the hash chain is checked and checkpoints are ignored.
  publicKey?: KeyObject;
  // Every checkpoint that covers the records, in the order they were made.
  checkpoints: CheckpointItem[];
  // The seq the first record must carry, when the range is known (e.g. '1' for the whole chain).
  expectedFirstSeq?: string;
  // The records run to the end of the chain: a checkpoint beyond the last one means the tail
  // was cut off.
  reachesEnd: boolean;
  // Exports always end on a signed checkpoint; the live table's newest records may not be
  // checkpointed yet.
  requireSignedEnd: boolean;
}

export interface VerifyResult {
  valid: boolean;
  checked: number;
  // The first seq the chain and the signatures no longer vouch for.
  firstInvalidSeq?: string;
  reason?: string;
}

const SEQ = /^[1-9][0-9]*$/;

// Re-computes the hash chain record by record and matches it against signed checkpoints. It
// keeps only the checkpoints and the last hash in memory, so exports of any size verify in
// constant memory. A broken link is named exactly; a chain that is internally consistent but
// disagrees with a signed checkpoint (a recomputed tail) is reported from the first record
// after the last checkpoint that still matched, since nothing vouches for what follows.
export class ChainVerifier {
  private readonly trusted = new Map<string, string>();
  private readonly trustedSeqs: bigint[] = [];
  // Index of the first checkpoint whose signature or link is bad, if any.
  private readonly badCheckpoint: number | null = null;
  private checked = 0;
  private firstSeq: bigint | null = null;
  private lastSeq: bigint | null = null;
  private prev: string | null = null;
  private lastVouched: bigint | null = null;
  private failure: { seq: bigint; reason: string } | null = null;

  constructor(private readonly options: VerifyOptions) {
    const { publicKey } = options;
    const cps = publicKey ? options.checkpoints : [];
    for (let i = 0; i < cps.length; i++) {
      const { body, signature } = cps[i];
      const previous = i > 0 ? cps[i - 1] : null;
      const ok =
        cps[i].mismatch === undefined &&
        SEQ.test(body.seq) &&
        publicKey !== undefined &&
        checkpointSignatureValid(body, signature, publicKey) &&
        (previous === null ||
          (body.prevSignature === previous.signature &&
            BigInt(body.seq) > BigInt(previous.body.seq)));
      if (!ok) {
        this.badCheckpoint = i;
        break;
      }
      this.trusted.set(body.seq, body.hash);
      this.trustedSeqs.push(BigInt(body.seq));
    }
  }

  get failed(): boolean {
    return this.failure !== null;
  }

  push(record: ChainRecordItem): void {
    if (this.failure) return;
    this.checked++;
    const expected = this.lastSeq === null ? this.initialSeq() : this.lastSeq + 1n;
    if (!SEQ.test(record.seq) || (expected !== null && BigInt(record.seq) !== expected)) {
      // A duplicate (got < expected) leaves its own seq in doubt; a gap, the expected one.
      const got = SEQ.test(record.seq) ? BigInt(record.seq) : null;
      const at = expected === null || (got !== null && got < expected) ? (got ?? 1n) : expected;
      this.fail(at, 'a record is missing, inserted or out of order');
      return;
    }
    const seq = BigInt(record.seq);
    if (this.firstSeq === null) {
      this.firstSeq = seq;
      this.prev = seq === 1n ? GENESIS_HASH : record.prevHash;
    }
    if (typeof record.body !== 'object' || record.body === null || record.mismatch) {
      this.fail(seq, record.mismatch ?? 'the record is malformed');
      return;
    }
    if (record.prevHash !== this.prev || record.body.seq !== record.seq) {
      this.fail(seq, 'the record does not link to the previous one');
      return;
    }
    const canonical = record.canonical ?? canonicalJson(record.body);
    if (chainHashOfCanonical(this.prev, canonical) !== record.hash) {
      this.fail(seq, 'the record’s hash does not match its content');
      return;
    }
    const signed = this.trusted.get(record.seq);
    if (signed !== undefined) {
      if (signed !== record.hash) {
        this.fail(this.unvouchedFrom(), 'the chain disagrees with a signed checkpoint');
        return;
      }
      this.lastVouched = seq;
    }
    this.prev = record.hash;
    this.lastSeq = seq;
  }

  finish(): VerifyResult {
    const failures: { seq: bigint; reason: string }[] = [];
    if (this.failure) failures.push(this.failure);
    if (this.badCheckpoint !== null) {
      const before = this.trustedSeqs.at(-1);
      failures.push({
        seq: before !== undefined ? before + 1n : this.startOrCheckpoint(this.badCheckpoint),
        reason: 'a checkpoint’s signature or link is invalid',
      });
    }
    if (!this.failure) {
      const end = this.lastSeq;
      if (this.options.reachesEnd && this.trustedSeqs.some((s) => end === null || s > end)) {
        failures.push({
          seq: end !== null ? end + 1n : this.startOrCheckpoint(0),
          reason: 'records after the last one are missing',
        });
      } else if (
        this.options.requireSignedEnd &&
        this.options.publicKey &&
        end !== null &&
        this.lastVouched !== end
      ) {
        failures.push({
          seq: this.unvouchedFrom(),
          reason: 'the last records are not covered by a signed checkpoint',
        });
      }
    }
    if (failures.length === 0) return { valid: true, checked: this.checked };
    const first = failures.reduce((a, b) => (b.seq < a.seq ? b : a));
    return {
      valid: false,
      checked: this.checked,
      firstInvalidSeq: first.seq.toString(),
      reason: first.reason,
    };
  }

  private initialSeq(): bigint | null {
    return this.options.expectedFirstSeq !== undefined
      ? BigInt(this.options.expectedFirstSeq)
      : null;
  }

  private unvouchedFrom(): bigint {
    if (this.lastVouched !== null) return this.lastVouched + 1n;
    return this.firstSeq ?? this.initialSeq() ?? 1n;
  }

  private startOrCheckpoint(index: number): bigint {
    const cp = this.options.checkpoints[index]?.body.seq;
    return (
      this.firstSeq ?? this.initialSeq() ?? (cp !== undefined && SEQ.test(cp) ? BigInt(cp) : 1n)
    );
  }

  private fail(seq: bigint, reason: string): void {
    this.failure = { seq, reason };
  }
}

export async function verifyChain(
  records: AsyncIterable<ChainRecordItem> | Iterable<ChainRecordItem>,
  options: VerifyOptions,
): Promise<VerifyResult> {
  const verifier = new ChainVerifier(options);
  for await (const record of records) {
    verifier.push(record);
    if (verifier.failed) break;
  }
  return verifier.finish();
}
