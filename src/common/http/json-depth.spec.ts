import {
  containsNul,
  MAX_JSON_DEPTH,
  rawJsonDepthExceeds,
  refuseDeepJson,
  valueDepthExceeds,
} from './json-depth';

const nested = (n: number, open = '[', close = ']'): string =>
  `${open.repeat(n)}${close.repeat(n)}`;

describe('JSON depth limits', () => {
  it('measures raw JSON, ignoring brackets inside strings and escaped quotes', () => {
    expect(rawJsonDepthExceeds(nested(MAX_JSON_DEPTH))).toBe(false);
    expect(rawJsonDepthExceeds(nested(MAX_JSON_DEPTH + 1))).toBe(true);
    expect(rawJsonDepthExceeds(`{"a":"${'['.repeat(500)}"}`)).toBe(false);
    expect(rawJsonDepthExceeds(`{"a":"\\"${'{'.repeat(500)}"}`)).toBe(false);
    expect(rawJsonDepthExceeds('{"a":{"b":[1,{"c":2}]}}', 4)).toBe(false);
    expect(rawJsonDepthExceeds('{"a":{"b":[1,{"c":2}]}}', 3)).toBe(true);
  });

  it('measures parsed values without recursion, however deep', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 100_000; i++) deep = { a: deep };
    expect(valueDepthExceeds(deep)).toBe(true);
    expect(valueDepthExceeds({ a: [1, { b: null }] }, 3)).toBe(false);
    expect(valueDepthExceeds({ a: [1, { b: {} }] }, 3)).toBe(true);
    expect(valueDepthExceeds('text')).toBe(false);
  });

  it('refuses deep bodies with a 400 that the problem filter reports as unreadable', () => {
    expect(() => refuseDeepJson(null, null, Buffer.from(nested(1000)))).toThrow(
      expect.objectContaining({ status: 400 }) as Error,
    );
    expect(() => refuseDeepJson(null, null, Buffer.from('{"a":[1]}'))).not.toThrow();
  });
});

describe('containsNul', () => {
  it('finds NUL in strings and keys at any depth, and nothing in clean values', () => {
    expect(containsNul('a\u0000')).toBe(true);
    expect(containsNul({ a: [1, { b: 'x\u0000y' }] })).toBe(true);
    expect(containsNul({ ['k\u0000']: 1 })).toBe(true);
    expect(containsNul({ a: ['clean', 2, null, true] })).toBe(false);
    expect(containsNul(42)).toBe(false);
  });
});
