import { FrameCopy, FrameCopyError, frameCopySql, FrameWriter } from './siem-frame-copy';
import { AuditSyslogFormatter, type SiemRecord } from './siem-record';

const SIGNATURE = Buffer.from([0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00]);
const HEADER = Buffer.concat([SIGNATURE, Buffer.alloc(8)]);
const END = Buffer.from([0xff, 0xff]);

// A record as the COPY sends it: field count, then each field's length and bytes (-1: NULL).
function tuple(fields: readonly (string | null)[]): Buffer {
  const parts: Buffer[] = [Buffer.from([0, fields.length])];
  for (const f of fields) {
    const length = Buffer.alloc(4);
    if (f === null) {
      length.writeInt32BE(-1);
      parts.push(length);
    } else {
      const bytes = Buffer.from(f, 'utf8');
      length.writeInt32BE(bytes.length);
      parts.push(length, bytes);
    }
  }
  return Buffer.concat(parts);
}

function fields(r: SiemRecord): string[] {
  return [r.seq, r.hash, r.prevHash, r.action, r.outcome, r.occurredAt, r.canonical];
}

function record(seq: number, overrides: Partial<SiemRecord> = {}): SiemRecord {
  return {
    seq: String(seq),
    hash: String(seq).padStart(64, 'a'),
    prevHash: String(seq - 1).padStart(64, 'b'),
    action: 'auth.login',
    outcome: 'success',
    occurredAt: '2026-12-07T09:14:03.512Z',
    canonical: `{"seq":"${seq}","ua":"ş \\"x\\" ]"}`,
    ...overrides,
  };
}

// One CopyData message per record, the header in the first, the end marker in its own.
function messages(records: readonly SiemRecord[]): Buffer[] {
  const out = records.map((r) => tuple(fields(r)));
  out[0] = Buffer.concat([HEADER, out[0] ?? Buffer.alloc(0)]);
  return [...out, END];
}

describe('FrameWriter', () => {
  const formatter = new AuditSyslogFormatter('pod ş-1');

  it('writes the bytes AuditSyslogFormatter#frames writes, the rare escapes included', () => {
    const records = [
      record(9),
      record(10, { outcome: 'denied', action: 'user read ş and a very long action name indeed' }),
      record(11, { outcome: 'failure', hash: 'x"]\\', prevHash: 'y]' }),
      record(12, { canonical: '{}' }),
    ];
    // Starting small: the buffer grows as it must.
    const writer = new FrameWriter(formatter, 16);
    for (const m of messages(records)) writer.copyData(m);
    const page = writer.page();
    expect(page.payload.equals(formatter.frames(records))).toBe(true);
    expect(page.records).toBe(4);
    expect(page.last).toEqual({ seq: '12', hash: records[3].hash });
  });

  it('stops at a record without its canonical text', () => {
    const records = [record(1), record(2), record(3)];
    const writer = new FrameWriter(formatter);
    writer.copyData(Buffer.concat([HEADER, tuple(fields(records[0]))]));
    writer.copyData(tuple([...fields(records[1]).slice(0, 6), null]));
    writer.copyData(tuple(fields(records[2])));
    writer.copyData(END);
    const page = writer.page();
    expect(page.records).toBe(1);
    expect(page.payload.equals(formatter.frames(records.slice(0, 1)))).toBe(true);
  });

  it('writes nothing for an empty COPY', () => {
    const writer = new FrameWriter(formatter);
    writer.copyData(Buffer.concat([HEADER, END]));
    expect(writer.page()).toEqual({ records: 0, last: undefined, payload: Buffer.alloc(0) });
  });

  it('refuses what is not the expected COPY', () => {
    const write = (...chunks: Buffer[]): (() => void) => {
      const writer = new FrameWriter(formatter);
      return () => {
        for (const c of chunks) writer.copyData(c);
        writer.page();
      };
    };
    const one = tuple(fields(record(1)));
    expect(write(Buffer.from('not a copy at all'))).toThrow(/signature/);
    const withOids = Buffer.from(HEADER);
    withOids.writeUInt32BE(0x10000, SIGNATURE.length);
    expect(write(withOids)).toThrow(/OIDs/);
    expect(write(Buffer.concat([HEADER, one]))).toThrow(/end marker/);
    expect(write(Buffer.concat([HEADER, tuple(['1', 'x'])]))).toThrow(/2 fields/);
    expect(write(Buffer.concat([HEADER, one.subarray(0, one.length - 3)]))).toThrow(/split/);
    expect(write(Buffer.concat([HEADER, tuple([null, ...fields(record(1)).slice(1)])]))).toThrow(
      /NULL field/,
    );
    expect(write(Buffer.concat([HEADER, END]), one)).toThrow(/after the end/);
    expect(write(Buffer.concat([HEADER, END]), one)).toThrow(FrameCopyError);
  });
});

describe('frameCopySql', () => {
  it('writes checked bounds in, and names the text of seq apart from the column it sorts by', () => {
    const sql = frameCopySql('41', 500);
    expect(sql).toMatch(/seq::text AS seq_text/);
    expect(sql).toMatch(/WHERE seq > 41 ORDER BY seq LIMIT 500\) TO STDOUT \(FORMAT binary\)$/);
    expect(() => frameCopySql('1; DROP TABLE audit_events', 500)).toThrow(FrameCopyError);
    expect(() => frameCopySql('1', 0)).toThrow(FrameCopyError);
    expect(() => frameCopySql('1', 1.5)).toThrow(FrameCopyError);
  });
});

describe('FrameCopy', () => {
  const formatter = new AuditSyslogFormatter('h');

  it('sends its COPY and resolves with the page once the server is ready again', async () => {
    const copy = new FrameCopy('COPY …', formatter);
    const sent: string[] = [];
    copy.submit({ query: (text: string) => sent.push(text) } as never);
    expect(sent).toEqual(['COPY …']);
    for (const m of messages([record(1)])) copy.handleCopyData({ chunk: m });
    copy.handleCommandComplete();
    copy.handleReadyForQuery();
    await expect(copy.result).resolves.toMatchObject({ records: 1, last: { seq: '1' } });
  });

  it('rejects with the server’s error, or with bytes it could not read', async () => {
    const failed = new FrameCopy('COPY …', formatter);
    failed.handleError(new Error('canceling statement due to statement timeout'));
    failed.handleReadyForQuery();
    await expect(failed.result).rejects.toThrow(/statement timeout/);

    const garbled = new FrameCopy('COPY …', formatter);
    garbled.handleCopyData({ chunk: Buffer.from('garbage') });
    garbled.handleCopyData({ chunk: END });
    garbled.handleReadyForQuery();
    await expect(garbled.result).rejects.toThrow(/signature/);

    const rows = new FrameCopy('SELECT 1', formatter);
    rows.handleRowDescription();
    rows.handleDataRow();
    rows.handleReadyForQuery();
    await expect(rows.result).rejects.toThrow(/rows where a COPY/);

    const copyIn = new FrameCopy('COPY … FROM STDIN', formatter);
    const refused: string[] = [];
    copyIn.handleCopyInResponse({ sendCopyFail: (m: string) => refused.push(m) } as never);
    copyIn.handleEmptyQuery();
    copyIn.handlePortalSuspended();
    expect(refused).toEqual(['not a COPY FROM']);
  });
});
