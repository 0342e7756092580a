import { generateKeyPairSync } from 'node:crypto';
import {
  chainHash,
  GENESIS_HASH,
  type AuditRecordBody,
  type CheckpointBody,
} from '../chain/audit-chain';
import { keyIdOf, signCheckpoint } from '../chain/audit-signing';
import { type ChainRecordItem, type CheckpointItem, verifyChain } from './audit-verifier';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const other = generateKeyPairSync('ed25519');

function body(seq: number): AuditRecordBody {
  return {
    seq: String(seq),
    occurredAt: new Date(1_700_000_000_000 + seq).toISOString(),
    actor: { userId: null, role: 'admin', ip: '127.0.0.1', userAgent: null },
    action: 'auth.login',
    outcome: 'success',
    resource: { type: null, id: null },
    subjectId: null,
    requestId: null,
    details: { seq },
  };
}

function chain(n: number): ChainRecordItem[] {
  let prev = GENESIS_HASH;
  return Array.from({ length: n }, (_, i) => {
    const b = body(i + 1);
    const hash = chainHash(prev, b);
    const item = { seq: b.seq, prevHash: prev, hash, body: b };
    prev = hash;
    return item;
  });
}

function checkpoints(
  records: ChainRecordItem[],
  seqs: number[],
  key = privateKey,
): CheckpointItem[] {
  let prevSignature = '';
  return seqs.map((s) => {
    const cp: CheckpointBody = {
      seq: String(s),
      hash: records[s - 1].hash,
      createdAt: '2026-01-01T00:00:00.000Z',
      keyId: keyIdOf(publicKey),
      prevSignature,
    };
    const signature = signCheckpoint(cp, key);
    prevSignature = signature;
    return { body: cp, signature };
  });
}

const opts = { publicKey, reachesEnd: true, requireSignedEnd: true };

describe('ChainVerifier', () => {
  const records = chain(12);
  const cps = checkpoints(records, [4, 8, 12]);

  it('accepts an intact chain ending on a checkpoint', async () => {
    expect(await verifyChain(records, { ...opts, checkpoints: cps })).toEqual({
      valid: true,
      checked: 12,
    });
  });

  it('checks only the chain without a key', async () => {
    const r = await verifyChain(records.slice(0, 10), {
      ...opts,
      publicKey: undefined,
      checkpoints: cps,
    });
    expect(r).toEqual({ valid: true, checked: 10 });
  });

  it('reports an unsigned tail when a signed end is required', async () => {
    const r = await verifyChain(records, { ...opts, checkpoints: cps.slice(0, 2) });
    expect(r).toMatchObject({ valid: false, firstInvalidSeq: '9' });
    const none = await verifyChain(records, { ...opts, checkpoints: [] });
    expect(none).toMatchObject({ valid: false, firstInvalidSeq: '1' });
    const live = await verifyChain(records, { ...opts, requireSignedEnd: false, checkpoints: [] });
    expect(live.valid).toBe(true);
  });

  it('reports a checkpoint signed by another key, or not linked, or out of order', async () => {
    const foreign = checkpoints(records, [4, 8, 12], other.privateKey);
    expect(await verifyChain(records, { ...opts, checkpoints: foreign })).toMatchObject({
      firstInvalidSeq: '1',
      reason: 'a checkpoint’s signature or link is invalid',
    });
    const unlinked = [cps[0], { ...cps[2] }];
    expect(await verifyChain(records, { ...opts, checkpoints: unlinked })).toMatchObject({
      firstInvalidSeq: '5',
    });
    const badSig = [cps[0], { ...cps[1], signature: 'not base64!' }];
    expect(await verifyChain(records, { ...opts, checkpoints: badSig })).toMatchObject({
      firstInvalidSeq: '5',
    });
  });

  it('reports a missing tail when checkpoints run past the records', async () => {
    expect(await verifyChain(records.slice(0, 10), { ...opts, checkpoints: cps })).toMatchObject({
      firstInvalidSeq: '11',
    });
    expect(await verifyChain([], { ...opts, checkpoints: cps })).toMatchObject({
      valid: false,
      checked: 0,
      firstInvalidSeq: '4',
    });
    expect(
      await verifyChain([], { ...opts, expectedFirstSeq: '1', checkpoints: cps }),
    ).toMatchObject({ firstInvalidSeq: '1' });
  });

  it('names malformed, mislinked and inconsistent records', async () => {
    const run = (recs: ChainRecordItem[], extra = {}) =>
      verifyChain(recs, {
        ...opts,
        requireSignedEnd: false,
        reachesEnd: false,
        checkpoints: [],
        ...extra,
      });
    expect(await run([{ ...records[0], seq: 'x' }])).toMatchObject({ firstInvalidSeq: '1' });
    expect(await run([records[0], { ...records[1], seq: 'x' }])).toMatchObject({
      firstInvalidSeq: '2',
    });
    expect(await run([records[0], { ...records[1], prevHash: 'f'.repeat(64) }])).toMatchObject({
      firstInvalidSeq: '2',
      reason: 'the record does not link to the previous one',
    });
    expect(await run([{ ...records[0], prevHash: 'f'.repeat(64) }])).toMatchObject({
      firstInvalidSeq: '1',
    });
    expect(await run([records[0], { ...records[1], mismatch: 'differs' }])).toMatchObject({
      firstInvalidSeq: '2',
      reason: 'differs',
    });
    const nullBody = { ...records[1], body: null as unknown as AuditRecordBody };
    expect(await run([records[0], nullBody])).toMatchObject({ reason: 'the record is malformed' });
    expect(await run(records.slice(3, 6), { expectedFirstSeq: '1' })).toMatchObject({
      firstInvalidSeq: '1',
    });
    expect(await run(records.slice(3, 6))).toMatchObject({ valid: true, checked: 3 });
  });
});
