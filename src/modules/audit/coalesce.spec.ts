import { coalesce } from './coalesce';

function* lines(n: number, width: number): Generator<string> {
  for (let i = 0; i < n; i++) yield `${String(i).padStart(width - 1, '0')}\n`;
}

async function collect(source: AsyncIterable<string> | Iterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const chunk of source) out.push(chunk);
  return out;
}

describe('coalesce', () => {
  it('joins small parts into chunks of at least the given size, losing nothing', async () => {
    const chunks = await collect(coalesce(lines(1000, 10), 100));
    expect(chunks).toHaveLength(100);
    expect(chunks.every((c) => c.length === 100)).toBe(true);
    expect(chunks.join('')).toBe([...lines(1000, 10)].join(''));
  });

  it('yields the remainder at the end and nothing for an empty source', async () => {
    const chunks = await collect(coalesce(lines(15, 10), 100));
    expect(chunks.map((c) => c.length)).toEqual([100, 50]);
    expect(await collect(coalesce(lines(0, 10)))).toEqual([]);
  });

  it('passes a part larger than the chunk size through whole', async () => {
    function* big(): Generator<string> {
      yield 'a'.repeat(500);
      yield 'b';
    }
    expect((await collect(coalesce(big(), 100))).map((c) => c.length)).toEqual([500, 1]);
  });
});
