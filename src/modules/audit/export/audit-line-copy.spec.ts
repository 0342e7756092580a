import { PassThrough } from 'node:stream';
import type { Connection } from 'pg';
import { LineCopyError, RecordLineAssembler, RecordLinesCopy } from './audit-line-copy';

// What PostgreSQL sends for a binary COPY OUT (see the formats in audit-line-copy.ts): the
// protocol's messages around the binary COPY data, one CopyData message per row with the
// header in the first, then the command's completion.
const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

function message(type: string, body: Buffer | string = Buffer.alloc(0)): Buffer {
  const bytes = typeof body === 'string' ? Buffer.from(`${body}\0`) : body;
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(bytes.length + 4, 1);
  return Buffer.concat([head, bytes]);
}

function header(flags = 0, extension = Buffer.alloc(0)): Buffer {
  const fixed = Buffer.alloc(8);
  fixed.writeUInt32BE(flags, 0);
  fixed.writeUInt32BE(extension.length, 4);
  return Buffer.concat([SIGNATURE, fixed, extension]);
}

function tuple(...fields: (string | null)[]): Buffer {
  const count = Buffer.alloc(2);
  count.writeInt16BE(fields.length);
  const parts = [count];
  for (const f of fields) {
    const length = Buffer.alloc(4);
    const bytes = f === null ? Buffer.alloc(0) : Buffer.from(f, 'utf8');
    length.writeInt32BE(f === null ? -1 : bytes.length);
    parts.push(length, bytes);
  }
  return Buffer.concat(parts);
}

const TRAILER = Buffer.from([0xff, 0xff]);
// CopyOutResponse: binary overall, three binary columns.
const COPY_OUT = message('H', Buffer.from([1, 0, 3, 0, 1, 0, 1, 0, 1]));
const DONE = message('c');
// What the driver reads after the COPY: CommandComplete and ReadyForQuery.
const COMPLETION = Buffer.concat([message('C', 'COPY 2'), message('Z', 'T')]);

// A whole COPY OUT of these rows (each a tuple), the header in the first row's message.
function copyOut(rows: Buffer[], head = header()): Buffer {
  const data = rows.map((row, i) => message('d', i === 0 ? Buffer.concat([head, row]) : row));
  if (rows.length === 0) data.push(message('d', Buffer.concat([head, TRAILER])));
  else data.push(message('d', TRAILER));
  return Buffer.concat([COPY_OUT, ...data, DONE, COMPLETION]);
}

interface Assembled {
  lines: string;
  after: Buffer;
}

// Pushes chunks until the COPY's messages end; what follows them comes back in `after`.
function run(chunks: Buffer[]): Assembled {
  const copy = new RecordLineAssembler();
  const out: Buffer[] = [];
  let i = 0;
  while (i < chunks.length && copy.after === null) out.push(copy.push(chunks[i++]));
  copy.finish();
  return {
    lines: Buffer.concat(out).toString('utf8'),
    after: Buffer.concat([copy.after ?? Buffer.alloc(0), ...chunks.slice(i)]),
  };
}

function assemble(chunks: Buffer[]): string {
  const { lines, after } = run(chunks);
  expect(after).toEqual(COMPLETION);
  return lines;
}

function line(hash: string, prevHash: string, canonical: string): string {
  return `{"hash":${JSON.stringify(hash)},"prevHash":${JSON.stringify(prevHash)},"record":${canonical}}\n`;
}

const H1 = 'a'.repeat(64);
const H2 = '0123456789abcdef'.repeat(4);
const R1 = '{"action":"auth.login","details":{"s":"é 😀 \\"q\\" \\\\"},"seq":"1"}';
const R2 = '{"seq":"2"}';

describe('RecordLineAssembler', () => {
  const data = copyOut([tuple(H1, H2, R1), tuple(H2, H1, R2)]);
  const expected = line(H1, H2, R1) + line(H2, H1, R2);

  it('writes one NDJSON line per row around the stored texts, and leaves the rest', () => {
    expect(assemble([data])).toBe(expected);
    for (const l of expected.trimEnd().split('\n')) expect(JSON.parse(l)).toHaveProperty('hash');
    expect(assemble([copyOut([])])).toBe('');
  });

  it('gives the same bytes whatever the chunks are cut at', () => {
    for (let cut = 1; cut < data.length; cut++)
      expect(assemble([data.subarray(0, cut), data.subarray(cut)])).toBe(expected);
    expect(assemble([...data].map((b) => Buffer.from([b])))).toBe(expected);
  });

  it('returns nothing for a chunk that completes no row', () => {
    const copy = new RecordLineAssembler();
    expect(copy.push(data.subarray(0, 10)).length).toBe(0);
    expect(copy.push(data.subarray(10, 30)).length).toBe(0);
    expect(copy.push(data.subarray(30)).toString('utf8')).toBe(expected);
    copy.finish();
    expect(copy.after).toEqual(COMPLETION);
    expect(() => copy.push(COMPLETION)).toThrow(/after the COPY ended/);
  });

  it('skips a header extension area, and notices and notifications between rows', () => {
    const extended = copyOut([tuple(H1, H2, R2)], header(0, Buffer.from('ext!')));
    expect(assemble([extended])).toBe(line(H1, H2, R2));
    const notice = message('N', Buffer.from('SNOTICE\0Mhello\0\0'));
    const status = message('S', Buffer.from('TimeZone\0UTC\0'));
    const notification = message('A', Buffer.from('\0\0\0\x07hekim\0\0'));
    const rows = [tuple(H1, H2, R1), tuple(H2, H1, R2)];
    const mixed = Buffer.concat([
      COPY_OUT,
      notice,
      message('d', Buffer.concat([header(), rows[0]])),
      status,
      notification,
      message('d', rows[1]),
      notice,
      message('d', TRAILER),
      DONE,
      COMPLETION,
    ]);
    expect(assemble([mixed])).toBe(expected);
    for (const cut of [3, 20, 60, 170, mixed.length - 40])
      expect(assemble([mixed.subarray(0, cut), mixed.subarray(cut)])).toBe(expected);
  });

  it('escapes a hash column that is not plain, as JSON.stringify (and to_json) would', () => {
    const tampered = `x"y\\z\u0001\t é${' '.repeat(10)}`;
    const out = assemble([copyOut([tuple(tampered, H1, R2)])]);
    expect(out).toBe(line(tampered, H1, R2));
    expect((JSON.parse(out) as { hash: string }).hash).toBe(tampered);
    const both = assemble([copyOut([tuple(H1, '\n'.repeat(200), R2)])]);
    expect(both).toBe(line(H1, '\n'.repeat(200), R2));
  });

  it('sizes its output to the lines, short ones and escaped ones among plain ones', () => {
    // Empty fields: 14 bytes of tuple make a 37-byte line.
    const many = Array.from({ length: 2_500 }, () => tuple('', '', '{}'));
    expect(assemble([copyOut(many)])).toBe(line('', '', '{}').repeat(2_500));
    const tampered = '\u0000'.repeat(64);
    const mixed = copyOut([tuple(H1, H2, R1), tuple(tampered, H2, R2), tuple(H2, H1, R1)]);
    const expectedMixed = line(H1, H2, R1) + line(tampered, H2, R2) + line(H2, H1, R1);
    expect(assemble([mixed])).toBe(expectedMixed);
    for (const cut of [40, 120, 200, 300, 400])
      expect(assemble([mixed.subarray(0, cut), mixed.subarray(cut)])).toBe(expectedMixed);
  });

  it('completes a long row cut between chunks, wherever the cut', () => {
    const long = `{"details":{"note":"${'x'.repeat(20_000)}"},"seq":"3"}`;
    const data = copyOut([tuple(H1, H2, R1), tuple(H2, H1, long)]);
    const expected = line(H1, H2, R1) + line(H2, H1, long);
    for (const cut of [25, 200, 300, 1_500, 9_000, data.length - 30, data.length - 3])
      expect(assemble([data.subarray(0, cut), data.subarray(cut)])).toBe(expected);
    const thirds = [0, 7_000, 14_000, data.length].map((x, i, a) =>
      data.subarray(x, a[i + 1] ?? x),
    );
    expect(assemble(thirds.slice(0, 3))).toBe(expected);
  });

  it('stops at an error from the server, leaving it to the driver', () => {
    const error = message('E', Buffer.from('SERROR\0C22012\0Mdivision by zero\0\0'));
    const rows = Buffer.concat([
      COPY_OUT,
      message('d', Buffer.concat([header(), tuple(H1, H2, R1)])),
      error,
      message('Z', 'E'),
    ]);
    for (const cut of [rows.length - 60, rows.length - 20, rows.length]) {
      const copy = new RecordLineAssembler();
      const out = [copy.push(rows.subarray(0, cut))];
      const pushedAll = copy.after === null;
      if (pushedAll) out.push(copy.push(rows.subarray(cut)));
      expect(Buffer.concat(out).toString('utf8')).toBe(line(H1, H2, R1));
      const after = Buffer.concat([
        copy.after ?? Buffer.alloc(0),
        pushedAll ? Buffer.alloc(0) : rows.subarray(cut),
      ]);
      expect(after).toEqual(Buffer.concat([error, message('Z', 'E')]));
      expect(() => copy.finish()).toThrow(/before CopyDone/);
    }
  });

  it('refuses data that is not a three-column binary COPY of records', () => {
    const refuse = (bytes: Buffer, pattern: RegExp): void => {
      expect(() => run([bytes])).toThrow(LineCopyError);
      expect(() => run([bytes])).toThrow(pattern);
    };
    const textCopy = message('H', Buffer.from([0, 0, 3, 0, 0, 0, 0, 0, 0]));
    refuse(Buffer.concat([textCopy, message('d', 'a\tb\tc\n')]), /format/);
    refuse(Buffer.concat([COPY_OUT, message('d', '{"hash":"a"}\n'.repeat(3))]), /signature/);
    refuse(Buffer.concat([COPY_OUT, message('d', Buffer.from([0, 0, 0]))]), /signature/);
    const longExtension = Buffer.concat([header(0, Buffer.from('ext!')).subarray(0, 21)]);
    refuse(Buffer.concat([COPY_OUT, message('d', longExtension)]), /header extension/);
    refuse(copyOut([tuple(H1, H2, R1)], header(0x10000)), /OIDs/);
    refuse(copyOut([tuple(H1, R1)]), /2 fields, not 3/);
    refuse(copyOut([tuple(H1, null, R1)]), /NULL field/);
    const afterEnd = Buffer.concat([
      COPY_OUT,
      message('d', Buffer.concat([header(), TRAILER])),
      message('d', tuple(H1, H2, R1)),
    ]);
    refuse(afterEnd, /after the end/);
    const split = tuple(H1, H2, R1);
    for (const at of [1, 4, 50, split.length - 1])
      refuse(
        Buffer.concat([
          COPY_OUT,
          message('d', Buffer.concat([header(), split.subarray(0, at)])),
          message('d', split.subarray(at)),
        ]),
        /split across CopyData messages/,
      );
    const noTrailer = Buffer.concat([
      COPY_OUT,
      message('d', Buffer.concat([header(), tuple(H1, H2, R1)])),
      DONE,
    ]);
    refuse(noTrailer, /CopyDone before the end/);
    refuse(data.subarray(0, data.length - COMPLETION.length - DONE.length - 1), /before CopyDone/);
    refuse(data.subarray(0, 12), /before CopyDone/);
    const badLength = Buffer.from([0x64, 0, 0, 0, 2]);
    refuse(Buffer.concat([COPY_OUT, badLength]), /a message of length 2/);
  });
});

// The socket handover, on a stand-in for node-postgres' connection (the real server's side is
// test/audit/audit-line-copy.e2e-spec.ts).
describe('RecordLinesCopy', () => {
  function fakeConnection(): { connection: Connection; driver: Buffer[]; sent: string[] } {
    const stream = new PassThrough();
    const driver: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => driver.push(chunk));
    const sent: string[] = [];
    const query = (text: string): number => sent.push(text);
    return { connection: { stream, query } as unknown as Connection, driver, sent };
  }

  async function read(copy: RecordLinesCopy): Promise<string> {
    const parts: Buffer[] = [];
    for await (const chunk of copy as AsyncIterable<Buffer>) parts.push(chunk);
    return Buffer.concat(parts).toString('utf8');
  }

  const data = copyOut([tuple(H1, H2, R1), tuple(H2, H1, R2)]);

  it('reads the COPY from the socket and gives the driver what follows it', async () => {
    const { connection, driver, sent } = fakeConnection();
    const copy = new RecordLinesCopy('COPY x TO STDOUT (FORMAT binary)');
    copy.submit(connection);
    expect(sent).toEqual(['COPY x TO STDOUT (FORMAT binary)']);
    const lines = read(copy);
    connection.stream.write(data.subarray(0, 100));
    connection.stream.write(data.subarray(100));
    expect(await lines).toBe(line(H1, H2, R1) + line(H2, H1, R2));
    expect(Buffer.concat(driver)).toEqual(COMPLETION);
    connection.stream.write(Buffer.from('next'));
    expect(Buffer.concat(driver).subarray(COMPLETION.length).toString()).toBe('next');
    copy.handleCommandComplete();
    copy.handleReadyForQuery();
    expect(copy.errored).toBeNull();
  });

  it('refuses a connection that is not read by one data listener', () => {
    const { connection } = fakeConnection();
    connection.stream.on('data', () => undefined);
    expect(() => new RecordLinesCopy('COPY').submit(connection)).toThrow(/one data listener/);
  });

  it('fails if the driver finds the query over before the COPY data ended', async () => {
    const { connection, driver } = fakeConnection();
    const copy = new RecordLinesCopy('COPY');
    copy.submit(connection);
    const lines = read(copy);
    // CommandComplete where CopyDone should be: the driver reads it, then ReadyForQuery.
    connection.stream.write(Buffer.concat([COPY_OUT, COMPLETION]));
    await expect(lines).rejects.toThrow(/before CopyDone/);
    expect(Buffer.concat(driver)).toEqual(COMPLETION);
    copy.handleReadyForQuery();
  });

  it("fails with the driver's error, and discards the rest of a COPY its reader left", async () => {
    const { connection, driver } = fakeConnection();
    const copy = new RecordLinesCopy('COPY');
    copy.submit(connection);
    const lines = read(copy);
    copy.handleError(new Error('Connection terminated unexpectedly'));
    await expect(lines).rejects.toThrow('Connection terminated unexpectedly');
    connection.stream.write(data);
    expect(driver).toEqual([]);
    const other = new RecordLinesCopy('COPY');
    other.handleReadyForQuery();
    await expect(read(other)).rejects.toThrow(/without its data/);
  });
});
