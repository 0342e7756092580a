import { LineCopyError, RecordLineAssembler } from './audit-line-copy';

// Binary COPY data as PostgreSQL writes it (see the format in audit-line-copy.ts).
const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

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

function assemble(chunks: Buffer[]): string {
  const lines = new RecordLineAssembler();
  const out = chunks.map((c) => lines.push(c));
  lines.finish();
  return Buffer.concat(out).toString('utf8');
}

function line(hash: string, prevHash: string, canonical: string): string {
  return `{"hash":${JSON.stringify(hash)},"prevHash":${JSON.stringify(prevHash)},"record":${canonical}}\n`;
}

const H1 = 'a'.repeat(64);
const H2 = '0123456789abcdef'.repeat(4);
const R1 = '{"action":"auth.login","details":{"s":"é 😀 \\"q\\" \\\\"},"seq":"1"}';
const R2 = '{"seq":"2"}';

describe('RecordLineAssembler', () => {
  const data = Buffer.concat([header(), tuple(H1, H2, R1), tuple(H2, H1, R2), TRAILER]);
  const expected = line(H1, H2, R1) + line(H2, H1, R2);

  it('writes one NDJSON line per tuple around the stored texts', () => {
    expect(assemble([data])).toBe(expected);
    for (const l of expected.trimEnd().split('\n')) expect(JSON.parse(l)).toHaveProperty('hash');
  });

  it('gives the same bytes whatever the chunks are cut at', () => {
    for (let cut = 1; cut < data.length; cut++)
      expect(assemble([data.subarray(0, cut), data.subarray(cut)])).toBe(expected);
    expect(assemble([...data].map((b) => Buffer.from([b])))).toBe(expected);
  });

  it('returns nothing for a chunk that completes no tuple', () => {
    const lines = new RecordLineAssembler();
    expect(lines.push(data.subarray(0, 10)).length).toBe(0);
    expect(lines.push(data.subarray(10, 30)).length).toBe(0);
    expect(lines.push(data.subarray(30)).toString('utf8')).toBe(expected);
    lines.finish();
  });

  it('skips a header extension area', () => {
    const extended = Buffer.concat([header(0, Buffer.from('ext!')), tuple(H1, H2, R2), TRAILER]);
    expect(assemble([extended])).toBe(line(H1, H2, R2));
  });

  it('escapes a hash column that is not plain, as JSON.stringify (and to_json) would', () => {
    const tampered = `x"y\\z\u0001\t é${' '.repeat(10)}`;
    const out = assemble([Buffer.concat([header(), tuple(tampered, H1, R2), TRAILER])]);
    expect(out).toBe(line(tampered, H1, R2));
    expect((JSON.parse(out) as { hash: string }).hash).toBe(tampered);
    const both = assemble([Buffer.concat([header(), tuple(H1, '\n'.repeat(200), R2), TRAILER])]);
    expect(both).toBe(line(H1, '\n'.repeat(200), R2));
  });

  it('sizes its output to the lines, short ones and escaped ones among plain ones', () => {
    // Empty fields: 14 bytes of tuple make a 37-byte line.
    const many = Array.from({ length: 500 }, () => tuple('', '', '{}'));
    expect(assemble([Buffer.concat([header(), ...many, TRAILER])])).toBe(
      line('', '', '{}').repeat(500),
    );
    const tampered = '\u0000'.repeat(64);
    const mixed = Buffer.concat([
      header(),
      tuple(H1, H2, R1),
      tuple(tampered, H2, R2),
      tuple(H2, H1, R1),
      TRAILER,
    ]);
    const expectedMixed = line(H1, H2, R1) + line(tampered, H2, R2) + line(H2, H1, R1);
    expect(assemble([mixed])).toBe(expectedMixed);
    for (const cut of [40, 120, 200, 300])
      expect(assemble([mixed.subarray(0, cut), mixed.subarray(cut)])).toBe(expectedMixed);
  });

  it('completes a long tuple cut between chunks, wherever the cut', () => {
    const long = `{"details":{"note":"${'x'.repeat(20_000)}"},"seq":"3"}`;
    const data = Buffer.concat([header(), tuple(H1, H2, R1), tuple(H2, H1, long), TRAILER]);
    const expected = line(H1, H2, R1) + line(H2, H1, long);
    for (const cut of [25, 200, 300, 1_500, 9_000, data.length - 3])
      expect(assemble([data.subarray(0, cut), data.subarray(cut)])).toBe(expected);
    const thirds = [0, 7_000, 14_000, data.length].map((x, i, a) =>
      data.subarray(x, a[i + 1] ?? x),
    );
    expect(assemble(thirds.slice(0, 3))).toBe(expected);
  });

  it('refuses data that is not a three-column binary COPY of records', () => {
    const refuse = (chunks: Buffer[], message: RegExp): void => {
      expect(() => assemble(chunks)).toThrow(LineCopyError);
      expect(() => assemble(chunks)).toThrow(message);
    };
    refuse([Buffer.from('{"hash":"a"}\n'.repeat(3))], /signature/);
    refuse([Buffer.concat([header(0x10000), tuple(H1, H2, R1), TRAILER])], /OIDs/);
    refuse([Buffer.concat([header(), tuple(H1, R1), TRAILER])], /2 fields, not 3/);
    refuse([Buffer.concat([header(), tuple(H1, null, R1), TRAILER])], /NULL field/);
    refuse([Buffer.concat([header(), TRAILER, tuple(H1, H2, R1)])], /after the end/);
    refuse([Buffer.concat([header(), tuple(H1, H2, R1)])], /middle of a tuple/);
    refuse([data.subarray(0, data.length - 5)], /middle of a tuple/);
    refuse([data.subarray(0, 12)], /middle of a tuple/);
  });
});
