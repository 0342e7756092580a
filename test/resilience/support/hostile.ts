import { randomUUID } from 'node:crypto';
import { getMetadataStorage } from 'class-validator';
import fc from 'fast-check';
import { ErrorCode } from '../../../src/common/errors/error-code';

// Hostile inputs for property-based fuzzing (docs/resilience.md, "Hostile input"). Every
// arbitrary here produces plain data that JSON can carry, built so that keys such as
// `__proto__` are real own properties (an object literal would set the prototype instead).

// Two tiers (docs/resilience.md, "How the fuzzers work"). FUZZ_RUNS generated cases (default
// 100 000; `FUZZ_RUNS=1000000` runs a longer campaign) go through the app's real request
// pipeline in process; FUZZ_E2E_RUNS of them (default 3 % of FUZZ_RUNS) are sent end to end
// to the listening server over HTTP and Socket.IO. Each tier: 60 % REST, 40 % signaling.
export const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 100_000);
export const FUZZ_E2E_RUNS = Number(process.env.FUZZ_E2E_RUNS ?? Math.ceil(FUZZ_RUNS * 0.03));
export const REST_SHARE = 0.6;
// Fixed seeds so that a failure reproduces: fast-check prints the seed and path it failed on.
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20_261_121);
// Generous: a shared machine can be slow (end to end: a few hundred cases a second when
// idle, tens when loaded; in process: thousands a second).
export const FUZZ_TIMEOUT_MS = Math.max(10 * 60_000, FUZZ_E2E_RUNS * 200 + FUZZ_RUNS * 5);

export const PROBLEM_CODES: ReadonlySet<string> = new Set(Object.values(ErrorCode));

export const DANGEROUS_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
  '__defineGetter__',
  'then',
] as const;

const NASTY_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\u0000'.repeat(64),
  '\uFEFF',
  '\u202E\u0041\u0042',
  '\uD800',
  '\uDFFF\uD800',
  'Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǫ̗͆',
  '👨‍👩‍👧‍👦'.repeat(50),
  'NaN',
  '-0',
  '0x10',
  '1e309',
  '-1e309',
  'Infinity',
  '-Infinity',
  '9007199254740993',
  '-9223372036854775809',
  'null',
  'undefined',
  'true',
  'false',
  '[]',
  '{}',
  '__proto__',
  'constructor',
  'prototype',
  "' OR '1'='1",
  '"; DROP TABLE users; --',
  '$where',
  '{"$gt":""}',
  '../../../../etc/passwd',
  '%00',
  '%2e%2e%2f',
  '<script>alert(1)</script>',
  '${7*7}',
  '{{7*7}}',
  '\r\nSet-Cookie: x=1',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  '275760-09-13T00:00:00.000Z',
  '+275760-09-13T00:00:00.000Z',
  '-271821-04-20T00:00:00.000Z',
  '0000-00-00T00:00:00Z',
  '2026-02-30T25:61:61Z',
  'a@b',
  'x@localhost',
  `${'a'.repeat(64)}@${'b'.repeat(250)}.test`,
];

const nastyNumbers = [0, -0, 1, -1, 1.5, 2 ** 31, -(2 ** 31), 2 ** 53 + 2, 1e308, -1e308, 5e-324];

export const hugeString: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom('a', '\u0000', 'é', '😀', '{', '"', '\\', ' '),
    fc.integer({ min: 1_000, max: 200_000 }),
  )
  .map(([s, n]) => s.repeat(n));

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ minLength: 100, maxLength: 5_000 }) },
  { weight: 1, arbitrary: hugeString },
);

export const hostileNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(...nastyNumbers),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

// An object built with defineProperty, so `__proto__` and friends become own, enumerable keys.
export function ownObject(
  entries: readonly (readonly [string, unknown])[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of entries)
    Object.defineProperty(out, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  return out;
}

export const hostileKey: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...DANGEROUS_KEYS) },
  { weight: 2, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.constantFrom('', '\u0000', 'a.b', 'a[b]', '$gt', '0', 'length') },
);

// Objects or arrays nested `depth` levels deep, the innermost holding `leaf`.
export const deepNesting: fc.Arbitrary<unknown> = fc
  .tuple(fc.integer({ min: 20, max: 2_000 }), fc.boolean(), fc.constantFrom(...DANGEROUS_KEYS, 'a'))
  .map(([depth, arrays, key]) => {
    let value: unknown = 'leaf';
    for (let i = 0; i < depth; i++) value = arrays ? [value] : ownObject([[key, value]]);
    return value;
  });

const { value: hostileValue } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 4, arbitrary: hostileString },
    { weight: 2, arbitrary: hostileNumber },
    { weight: 1, arbitrary: fc.constantFrom(null, true, false) },
    { weight: 1, arbitrary: fc.array(tie('value'), { maxLength: 4 }) },
    {
      weight: 1,
      arbitrary: fc
        .array(fc.tuple(hostileKey, tie('value')), { maxLength: 4 })
        .map((entries) => ownObject(entries)),
    },
    { weight: 1, arbitrary: deepNesting },
    // Long arrays, built without generating (and keeping shrink trees for) every element. Far
    // past any `@ArrayMaxSize`; longer ones only cost class-transformer time per element (the
    // body limit bounds them in production), which the in-process tier pays 100 000 times.
    {
      weight: 1,
      arbitrary: fc.integer({ min: 1_000, max: 4_000 }).map((n) => new Array<number>(n).fill(0)),
    },
  ),
}));
export { hostileValue };

// A plausible value for a property, read from its class-validator constraints, so that some
// generated payloads get past validation and reach the services behind it.
function plausible(target: object, property: string): fc.Arbitrary<unknown> {
  const metas = getMetadataStorage()
    .getTargetValidationMetadatas(target as new () => object, '', true, false)
    .filter((m) => m.propertyName === property);
  const names = new Set(metas.map((m) => m.name ?? m.type));
  const each = metas.some((m) => m.each);
  let base: fc.Arbitrary<unknown> = fc.string({ maxLength: 20 });
  const isIn = metas.find((m) => m.name === 'isIn' || m.name === 'isEnum');
  if (isIn) {
    const raw = isIn.constraints?.[0] as unknown;
    const values = Array.isArray(raw)
      ? (raw as unknown[])
      : Object.values((raw ?? {}) as Record<string, unknown>);
    if (values.length > 0) base = fc.constantFrom(...values);
  } else if (names.has('isUuid'))
    base = fc.oneof(fc.constant(randomUUID()), fc.uuid({ version: 4 }));
  else if (names.has('isEmail')) base = fc.emailAddress();
  else if (names.has('isBoolean')) base = fc.boolean();
  else if (names.has('isInt') || names.has('isNumber'))
    base = fc.oneof(fc.integer({ min: -5, max: 300 }), fc.constantFrom(...nastyNumbers));
  else if (names.has('isDate') || names.has('isDateString') || names.has('isIso8601'))
    base = fc.oneof(
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      fc.constantFrom(8.64e15, -8.64e15, 0, '275760-09-13T00:00:00.000Z', '1970-01-01'),
    );
  else if (names.has('isNumberString') || names.has('matches'))
    base = fc.oneof(fc.integer().map(String), fc.stringMatching(/^[0-9a-zA-Z+/=_-]{1,40}$/));
  else if (names.has('nestedValidation')) base = fc.object({ maxDepth: 1 });
  return each ? fc.array(base, { maxLength: 5 }) : base;
}

export interface DtoShape {
  properties: string[];
}

// The declared properties of a DTO class (every decorated property, inherited ones included).
export function dtoProperties(dto: new () => object): string[] {
  const metas = getMetadataStorage().getTargetValidationMetadatas(dto, '', true, false);
  return [...new Set(metas.map((m) => m.propertyName))].sort();
}

// Payloads shaped like the DTO (its own property names, each plausible or hostile, some left
// out, some hostile keys added) mixed with payloads of entirely the wrong shape.
export function dtoPayload(dto: new () => object): fc.Arbitrary<unknown> {
  const properties = dtoProperties(dto);
  const field = (p: string): fc.Arbitrary<unknown> =>
    fc.oneof({ weight: 1, arbitrary: plausible(dto, p) }, { weight: 2, arbitrary: hostileValue });
  const shaped = fc
    .tuple(
      fc.tuple(...properties.map((p) => fc.option(field(p), { nil: undefined, freq: 4 }))),
      fc.array(fc.tuple(hostileKey, hostileValue), { maxLength: 2 }),
    )
    .map(([values, extra]) =>
      ownObject([
        ...properties.flatMap((p, i) => (values[i] === undefined ? [] : [[p, values[i]] as const])),
        ...extra,
      ]),
    );
  const plausibleOnly = fc
    .tuple(...properties.map((p) => plausible(dto, p)))
    .map((values) => ownObject(properties.map((p, i) => [p, values[i]] as const)));
  return fc.oneof(
    { weight: 5, arbitrary: shaped },
    { weight: 2, arbitrary: plausibleOnly },
    { weight: 2, arbitrary: hostileValue },
  );
}

// Query strings: the DTO's keys with hostile strings, repeated keys (arrays), bracket syntax
// (nested objects under an extended parser) and hostile keys.
export function queryString(dto: new () => object): fc.Arbitrary<string> {
  const properties = dtoProperties(dto);
  const pair = fc.tuple(
    fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...properties) },
      { weight: 1, arbitrary: hostileKey },
      {
        weight: 1,
        arbitrary: fc
          .tuple(fc.constantFrom(...properties), hostileKey)
          .map(([p, k]) => `${p}[${k}]`),
      },
    ),
    fc.oneof(
      { weight: 3, arbitrary: hostileString.filter((s) => s.length < 10_000) },
      { weight: 1, arbitrary: fc.constantFrom(...RAW_ESCAPES) },
      ...properties.map((p) => ({ weight: 1, arbitrary: plausible(dto, p).map(stringify) })),
    ),
  );
  return fc
    .array(pair, { maxLength: 6 })
    .map((pairs) => pairs.map(([k, v]) => `${uriEncode(k)}=${uriEncode(v)}`).join('&'));
}

// URL-encodes a value; lone surrogates become U+FFFD (encodeURIComponent throws on them), and
// values that are nothing but percent escapes (`%FF`, `%C0%AE`) are sent raw, as an attacker
// would send them.
export function uriEncode(value: string): string {
  if (/^(%[0-9A-Fa-f]{2})+$/.test(value)) return value;
  return encodeURIComponent(Buffer.from(value, 'utf8').toString('utf8'));
}

const RAW_ESCAPES = ['%FF', '%C0%AE%C0%AE', '%2e%2e%2f', '%00', '%E2%80%AE', '%F0%9F', '%25'];

function stringify(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(stringify).join(',');
  return JSON.stringify(value) ?? '';
}

// A path parameter: hostile text, a random UUID, or a known id.
export function pathParam(known: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    hostileString.filter((s) => s.length < 4_000),
    fc.constantFrom(...RAW_ESCAPES),
    fc.uuid(),
    ...(known.length > 0 ? [fc.constantFrom(...known)] : []),
  );
}

// What a rejection must look like (docs/contract.md).
export function problemViolation(
  status: number,
  contentType: string | undefined,
  body: string,
): string | null {
  if (status >= 500) return `status ${status}`;
  if (status < 400) return null;
  if (!contentType?.startsWith('application/problem+json'))
    return `status ${status} with content-type ${contentType}`;
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(body) as Record<string, unknown>;
  } catch {
    return `status ${status} with a body that is not JSON`;
  }
  if (doc.status !== status) return `problem status ${String(doc.status)} on a ${status}`;
  if (typeof doc.code !== 'string' || !PROBLEM_CODES.has(doc.code))
    return `unknown code ${String(doc.code)}`;
  if (typeof doc.title !== 'string' || typeof doc.detail !== 'string')
    return 'problem without title or detail';
  return null;
}

// fast-check prints a failing value recursively, which overflows the stack on the deeply
// nested ones; cases carry their own short printout instead.
export function printable<T extends object>(value: T): T {
  return Object.assign(value, {
    [fc.toStringMethod]: () => {
      let text: string;
      try {
        text = JSON.stringify(value) ?? typeof value;
      } catch (err) {
        text = `<unprintable: ${err instanceof Error ? err.message : String(err)}>`;
      }
      return text.length > 4_000 ? `${text.slice(0, 4_000)}… (${text.length} chars)` : text;
    },
  });
}
