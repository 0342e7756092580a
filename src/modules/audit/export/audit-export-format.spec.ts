import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { checkpointLine, recordLine } from '../chain/audit-chain';
import { EXPORT_CHUNK_SIZE, ExportFormat, renderExport } from './audit-export-format';
import type { ChainRecordItem, CheckpointItem } from '../verification/audit-verifier';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function record(n: number): ChainRecordItem {
  const seq = String(n);
  return {
    seq,
    prevHash: 'a'.repeat(64),
    hash: 'b'.repeat(64),
    body: {
      seq,
      occurredAt: new Date(Date.UTC(2026, 0, 1) + n).toISOString(),
      actor: { userId: null, role: 'doctor', ip: '203.0.113.7', userAgent: 'agent' },
      action: 'auth.login',
      outcome: 'success',
      resource: { type: 'user', id: `u-${n}` },
      subjectId: null,
      requestId: `r-${n}`,
      details: { n, method: 'password' },
    },
  };
}

// Pages generated on demand, as the repository reads them.
async function* pages(count: number, size: number): AsyncGenerator<ChainRecordItem[]> {
  for (let first = 1; first <= count; first += size) {
    await Promise.resolve();
    yield Array.from({ length: Math.min(size, count - first + 1) }, (_, i) => record(first + i));
  }
}

const checkpoint: CheckpointItem = {
  body: {
    seq: '3000',
    hash: 'b'.repeat(64),
    createdAt: '2026-01-01T00:00:10.000Z',
    keyId: 'k1',
    prevSignature: '',
  },
  signature: 'c2ln',
};

async function collect(source: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const chunk of source) out.push(chunk);
  return out;
}

describe('renderExport', () => {
  it('joins the NDJSON lines of every page into chunks of whole lines, then the checkpoints', async () => {
    const chunks = await collect(
      renderExport(ExportFormat.Ndjson, pages(3000, 700), [checkpoint], 'now'),
    );
    const expected = [
      ...Array.from({ length: 3000 }, (_, i) => {
        const r = record(i + 1);
        return `${recordLine(r.body, r.prevHash, r.hash)}\n`;
      }),
      `${checkpointLine(checkpoint.body, checkpoint.signature)}\n`,
    ].join('');
    expect(chunks.join('')).toBe(expected);
    // Far fewer writes than records; every chunk but the last two is full and ends a line.
    expect(chunks.length).toBeLessThan(3000 / 50);
    for (const c of chunks.slice(0, -2)) {
      expect(c.length).toBeGreaterThanOrEqual(EXPORT_CHUNK_SIZE);
      expect(c.endsWith('\n')).toBe(true);
    }
  });

  it.each([ExportFormat.Ndjson, ExportFormat.Csv, ExportFormat.Fhir])(
    'renders the same %s whatever the page size, and an empty range without empty chunks',
    async (format) => {
      const byOne = (await collect(renderExport(format, pages(500, 1), [checkpoint], 't'))).join(
        '',
      );
      const byPage = (await collect(renderExport(format, pages(500, 128), [checkpoint], 't'))).join(
        '',
      );
      expect(byPage).toBe(byOne);
      const empty = await collect(renderExport(format, pages(0, 10), [], 't'));
      expect(empty.every((c) => c.length > 0)).toBe(true);
    },
  );

  it('keeps live memory bounded while rendering far more than it holds', async () => {
    gc();
    const base = process.memoryUsage().heapUsed;
    let bytes = 0;
    let sampled = 0;
    let peak = 0;
    for await (const chunk of renderExport(ExportFormat.Ndjson, pages(50_000, 2000), [], 't')) {
      bytes += chunk.length;
      if (bytes >= (sampled + 1) * 2 * 1024 * 1024) {
        sampled++;
        gc();
        peak = Math.max(peak, process.memoryUsage().heapUsed - base);
      }
    }
    expect(bytes).toBeGreaterThan(20 * 1024 * 1024);
    expect(sampled).toBeGreaterThan(9);
    expect(peak).toBeLessThan(16 * 1024 * 1024);
  });
});
