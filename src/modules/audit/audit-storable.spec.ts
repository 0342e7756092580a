import { storableDetails, storableText } from './audit.service';

// What a record's text and details become before they are hashed and stored, written the
// slow, obvious way: every string cleaned, then cut to maxChars code points.
// eslint-disable-next-line no-control-regex -- NUL is exactly what must be matched
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const clean = (s: string): string => s.replace(UNSTORABLE, '\uFFFD');
const referenceText = (s: string, max: number): string =>
  Array.from(clean(s)).slice(0, max).join('');
const referenceDetails = (d: Record<string, unknown>): unknown =>
  JSON.parse(JSON.stringify(d), (_k, v: unknown) => {
    if (typeof v === 'string') return clean(v);
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [clean(k), x]));
  });

describe('audit record text and details as stored', () => {
  it.each([
    ['plain', 'Mozilla/5.0 (X11; Linux x86_64)', 512],
    ['exactly at the limit', 'abcd', 4],
    ['one over the limit', 'abcde', 4],
    ['a pair that would be cut by UTF-16 length', 'ab🩺', 3],
    ['a pair over the limit', 'abc🩺', 3],
    ['NUL', 'nul\u0000here', 64],
    ['a lone high surrogate', 'lone \uD800 high', 64],
    ['a lone low surrogate at the end', 'low \uDC00', 64],
    ['a backslash-u that is only text', 'C:\\users\\u0000', 64],
    ['empty', '', 8],
  ])('storableText: %s', (_, text, max) => {
    expect(storableText(text, max)).toBe(referenceText(text, max));
  });

  it('storableText returns a clean string short enough as it is', () => {
    const text = 'doctor';
    expect(storableText(text, 32)).toBe(text);
  });

  it.each<[string, Record<string, unknown>]>([
    ['plain', { type: 'consultation', members: 2, invited: 1 }],
    ['empty', {}],
    ['nested, with nulls and arrays', { a: [{ b: null, c: [1, 'x'] }], d: { e: true } }],
    ['a Date and an undefined member', { at: new Date(Date.UTC(2026, 0, 2)), gone: undefined }],
    ['NUL and lone surrogates in values', { ua: 'nul\u0000', s: ['\uD800x', { t: 'y\uDFFF' }] }],
    ['NUL and a lone surrogate in keys', { 'k\u0000': 1, nested: { '\uDBFFk': 2 } }],
    ['control characters JSON escapes', { tab: 'a\tb', bell: 'a\u0007b', nl: 'a\nb' }],
    ['a backslash-u that is only text', { path: 'C:\\users\\u0000', u: '\\u' }],
    ['non-ASCII and paired surrogates', { name: 'Ünïcode — 🩺 \u2028' }],
  ])('storableDetails: %s', (_, details) => {
    expect(storableDetails(details)).toEqual(referenceDetails(details));
  });
});
