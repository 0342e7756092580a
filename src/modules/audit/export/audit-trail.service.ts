import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../../config/app-config';
import { AuditAction, AuditOutcome } from '../audit-action';
import { AuditCheckpointer } from '../chain/audit-checkpointer';
import { canonicalJson, recordLine } from '../chain/audit-chain';
import {
  EXPORT_MEDIA,
  ExportFormat,
  ndjsonRecordLine,
  renderExport,
  renderNdjson,
  renderNdjsonLines,
} from './audit-export-format';
import { rowToChainRecord, toCheckpointItem } from '../audit-mapper';
import {
  verifyChain,
  type ChainRecordItem,
  type VerifyResult,
} from '../verification/audit-verifier';
import { type AuditEventFilter, type AuditLineRow, AuditRepository } from '../audit.repository';
import { AuditService } from '../audit.service';
import type { AuditEventEntity } from '../audit-event.entity';
import type { RequestContext } from '../audit-context';

// Rows per keyset page when streaming: memory stays at two pages (the one being read and the
// next one, fetched meanwhile) whatever the range.
export const CHAIN_PAGE_SIZE = 2000;

// Records per COPY when the NDJSON export sends stored lines (about 3 MB each).
export const LINE_COPY_RECORDS = 5000;

export interface TimeRange {
  from?: Date;
  to?: Date;
}

export interface AuditExport {
  filename: string;
  contentType: string;
  // Text or, for the NDJSON lines the database sends as they are, bytes.
  body: AsyncGenerator<string | Buffer>;
}

interface CopySegment {
  lines: AsyncGenerator<Buffer>;
  first: Promise<IteratorResult<Buffer>>;
}

// A page asked for ahead is marked as handled at once: it may fail while the reader is between
// pages or gone (an unhandled rejection would stop the process); it still throws where it is
// awaited.
function askedAhead<T>(page: Promise<T>): Promise<T> {
  page.catch(() => undefined);
  return page;
}

// Reading side of the trail: listing, streaming export and verification.
@Injectable()
export class AuditTrailService {
  constructor(
    private readonly repository: AuditRepository,
    private readonly audit: AuditService,
    private readonly checkpointer: AuditCheckpointer,
    private readonly config: AppConfig,
  ) {}

  // Reading the trail is itself recorded (it shows other people's activity).
  async list(
    filter: AuditEventFilter,
    cursor: string | null,
    limit: number,
    ctx: RequestContext,
  ): Promise<{ items: AuditEventEntity[]; nextCursor: string | null }> {
    await this.audit.record({
      action: AuditAction.AuditEventsRead,
      outcome: AuditOutcome.Success,
      actor: ctx.actor,
      requestId: ctx.requestId,
      resource: { type: 'audit_trail' },
      subjectId: filter.subjectId ?? null,
      details: {
        from: filter.from?.toISOString(),
        to: filter.to?.toISOString(),
        actorId: filter.actorId,
        action: filter.action,
        outcome: filter.outcome,
        cursor: cursor ?? undefined,
        limit,
      },
    });
    const rows = await this.repository.findPage(filter, cursor, limit + 1);
    const items = rows.slice(0, limit);
    return { items, nextCursor: rows.length > limit ? items[items.length - 1].seq : null };
  }

  // Streams seq in [fromSeq, toSeq] page by page; the next page is fetched while the
  // current one is consumed, so the database round trip overlaps the work on the records.
  private async *keysetPages<T extends { seq: string }>(
    fromSeq: string,
    fetch: (afterSeq: string) => Promise<T[]>,
  ): AsyncGenerator<T[]> {
    let next: Promise<T[]> | null = askedAhead(fetch((BigInt(fromSeq) - 1n).toString()));
    while (next !== null) {
      const page: T[] = await next;
      next = page.length < CHAIN_PAGE_SIZE ? null : askedAhead(fetch(page[page.length - 1].seq));
      if (page.length > 0) yield page;
    }
  }

  async *chainPages(fromSeq: string, toSeq: string): AsyncGenerator<ChainRecordItem[]> {
    const pages = this.keysetPages(fromSeq, (after) =>
      this.repository.findChainPage(after, toSeq, CHAIN_PAGE_SIZE),
    );
    for await (const page of pages) yield page.map(rowToChainRecord);
  }

  // The NDJSON lines of seq in [fromSeq, toSeq], page by page, written by the database but
  // for the details (no record objects in between: the export reads millions of them). Writing
  // them is the database's larger share of the work, so two pages are asked for ahead, each on
  // a connection of its own, while the current one is sent: three pages in memory at most.
  async *ndjsonLinePages(fromSeq: string, toSeq: string): AsyncGenerator<string[]> {
    const pending: Promise<AuditLineRow[]>[] = [];
    let after: string | null = (BigInt(fromSeq) - 1n).toString();
    const askAhead = async (): Promise<void> => {
      if (after === null) return;
      const from = after;
      const end = await this.repository.findChainPageEnd(from, toSeq, CHAIN_PAGE_SIZE);
      pending.push(
        askedAhead(this.repository.findChainLinePage(from, end ?? toSeq, CHAIN_PAGE_SIZE)),
      );
      after = end !== null && end !== toSeq ? end : null;
    };
    await askAhead();
    await askAhead();
    for (let next = pending.shift(); next !== undefined; next = pending.shift()) {
      const page = await next;
      await askAhead();
      if (page.length === 0) continue;
      const lines = new Array<string>(page.length);
      for (let i = 0; i < page.length; i++) {
        const r = page[i];
        lines[i] =
          r.tail !== null
            ? ndjsonRecordLine(r.head, r.details, r.tail)
            : await this.genericLine(r.seq);
      }
      yield lines;
    }
  }

  // One record's line rendered from its row, for the records the database cannot render.
  private async genericLine(seq: string): Promise<string> {
    const [row] = await this.repository.findChainPage((BigInt(seq) - 1n).toString(), seq, 1);
    const r = rowToChainRecord(row);
    return `${recordLine(r.body, r.prevHash, r.hash)}\n`;
  }

  // The NDJSON record lines of seq in [fromSeq, toSeq]. Records that hold their canonical
  // text are sent as lines around it, assembled from a binary COPY (copiedLines); those
  // written before it was stored are rendered from their fields (ndjsonLinePages).
  async *ndjsonRecords(fromSeq: string, toSeq: string): AsyncGenerator<string | Buffer> {
    const older = await this.repository.findWithoutCanonical(fromSeq, toSeq);
    if (older === null) {
      yield* this.copiedLines(fromSeq, toSeq);
      return;
    }
    if (older.first !== fromSeq)
      yield* this.copiedLines(fromSeq, (BigInt(older.first) - 1n).toString());
    yield* renderNdjsonLines(this.ndjsonLinePages(older.first, older.last), []);
    if (older.last !== toSeq) yield* this.copiedLines((BigInt(older.last) + 1n).toString(), toSeq);
  }

  // The stored lines of seq in [fromSeq, toSeq], LINE_COPY_RECORDS per COPY; the next COPY is
  // started while the current one is sent, so that the database never waits for a round
  // trip. The bytes waiting meanwhile sit in the connection's socket, not in the heap.
  private async *copiedLines(fromSeq: string, toSeq: string): AsyncGenerator<Buffer> {
    const last = BigInt(toSeq);
    const step = BigInt(LINE_COPY_RECORDS);
    const start = (from: bigint): CopySegment | null => {
      if (from > last) return null;
      const to = from + step - 1n < last ? from + step - 1n : last;
      const lines = this.repository.copyLines((from - 1n).toString(), to.toString());
      return { lines, first: askedAhead(lines.next()) };
    };
    let current = start(BigInt(fromSeq));
    let next: CopySegment | null = null;
    try {
      for (let from = BigInt(fromSeq); current !== null; from += step) {
        next = start(from + step);
        for (let r = await current.first; r.done !== true; r = await current.lines.next())
          yield r.value;
        current = next;
        next = null;
      }
    } finally {
      // A reader that stopped early: close both COPYs (their connections are dropped).
      for (const segment of [current, next])
        if (segment !== null) void segment.lines.return(undefined).catch(() => undefined);
    }
  }

  async *chain(fromSeq: string, toSeq: string): AsyncGenerator<ChainRecordItem> {
    for await (const page of this.chainPages(fromSeq, toSeq)) yield* page;
  }

  // The chain as verify reads it: a record whose stored canonical text is not the canonical
  // form of its fields is named, since the NDJSON export sends that text.
  private async *checkedChain(fromSeq: string, toSeq: string): AsyncGenerator<ChainRecordItem> {
    const pages = this.keysetPages(fromSeq, (after) =>
      this.repository.findChainPage(after, toSeq, CHAIN_PAGE_SIZE),
    );
    for await (const page of pages) {
      for (const row of page) {
        const item = rowToChainRecord(row);
        item.canonical = canonicalJson(item.body);
        if (row.canonical !== null && row.canonical !== item.canonical)
          item.mismatch = 'the record’s stored canonical text differs from its fields';
        yield item;
      }
    }
  }

  // The export is recorded first (if that fails, nothing is exported). The records run from
  // the first one in the range up to the first checkpoint at or after its last one (the
  // head is signed now if need be), so the file ends on a signature and verifies offline.
  //
  // The record names the seq range and count the range held when asked (the file may run a few
  // records further, to its checkpoint): the access report finds the exports that held a
  // person's records by it, and the bulk-export alarm counts them (docs/compliance.md).
  async export(format: ExportFormat, range: TimeRange, ctx: RequestContext): Promise<AuditExport> {
    const asked = await this.repository.findSeqBounds(range.from, range.to);
    await this.audit.record({
      action: AuditAction.AuditExport,
      outcome: AuditOutcome.Success,
      actor: ctx.actor,
      requestId: ctx.requestId,
      resource: { type: 'audit_trail' },
      details: {
        format,
        from: range.from?.toISOString(),
        to: range.to?.toISOString(),
        ...(asked
          ? {
              fromSeq: asked.first,
              toSeq: asked.last,
              records: Number(BigInt(asked.last) - BigInt(asked.first) + 1n),
            }
          : { records: 0 }),
      },
    });
    await this.checkpointer.checkpointHead();
    const bounds = await this.repository.findSeqBounds(range.from, range.to);
    const end = bounds ? await this.repository.findFirstCheckpointFrom(bounds.last) : null;
    const media = EXPORT_MEDIA[format];
    const generatedAt = new Date().toISOString();
    if (!bounds || !end) {
      return {
        filename: `hekim-audit-empty.${media.extension}`,
        contentType: media.contentType,
        body: renderExport(format, this.none(), [], generatedAt, this.config.audit.sourceHost),
      };
    }
    const checkpoints = await this.repository.findCheckpointsInRange(bounds.first, end.seq);
    return {
      filename: `hekim-audit-${bounds.first}-${end.seq}.${media.extension}`,
      contentType: media.contentType,
      body:
        format === ExportFormat.Ndjson
          ? renderNdjson(
              this.ndjsonRecords(bounds.first, end.seq),
              checkpoints.map(toCheckpointItem),
            )
          : renderExport(
              format,
              this.chainPages(bounds.first, end.seq),
              checkpoints.map(toCheckpointItem),
              generatedAt,
              this.config.audit.sourceHost,
            ),
    };
  }

  // Re-computes the chain over the range and matches it against the signed checkpoints;
  // without `to` it runs to the head, where a checkpoint past the last record means records
  // were removed. The call and its result are recorded.
  async verify(range: TimeRange, ctx: RequestContext): Promise<VerifyResult> {
    const bounds = await this.repository.findSeqBounds(range.from, range.to);
    let result: VerifyResult = { valid: true, checked: 0 };
    if (bounds) {
      const checkpoints = await this.repository.findCheckpointsInRange(bounds.first, bounds.last);
      result = await verifyChain(this.checkedChain(bounds.first, bounds.last), {
        publicKey: this.checkpointer.publicKey,
        checkpoints: checkpoints.map(toCheckpointItem),
        expectedFirstSeq: range.from === undefined ? '1' : bounds.first,
        reachesEnd: false,
        requireSignedEnd: false,
      });
    }
    // Up to the head, a checkpoint beyond the last record means the tail was removed.
    const gap = range.to === undefined ? await this.repository.findTailGap() : null;
    if (gap !== null && (result.valid || BigInt(gap) < BigInt(result.firstInvalidSeq ?? gap))) {
      result = {
        valid: false,
        checked: result.checked,
        firstInvalidSeq: gap,
        reason: 'records after the last one are missing',
      };
    }
    await this.audit.record({
      action: AuditAction.AuditVerify,
      outcome: AuditOutcome.Success,
      actor: ctx.actor,
      requestId: ctx.requestId,
      resource: { type: 'audit_trail' },
      details: {
        from: range.from?.toISOString(),
        to: range.to?.toISOString(),
        valid: result.valid,
        checked: result.checked,
        firstInvalidSeq: result.firstInvalidSeq,
      },
    });
    return result;
  }

  publicKey(): { publicKey: string; keyId: string; algorithm: 'Ed25519' } {
    return {
      publicKey: this.checkpointer.publicKeyPem,
      keyId: this.checkpointer.keyId,
      algorithm: 'Ed25519',
    };
  }

  private async *none(): AsyncGenerator<ChainRecordItem[]> {}
}
