// How production judges a secret it is given (docs/configuration.md, "Secrets in production"):
// by what the value looks like, not by a list of forbidden words. A random value of the
// required length passes every check with an overwhelming margin; what an operator types by
// hand or copies from an example fails at least one of them.

// Text that examples and templates put where a secret belongs, counted only as a word of its
// own (not between two letters: `YOUR_JWT_SECRET_HERE`, `please-change-me`). Random output
// holds letters in every position, so a word of five or more letters standing alone is rare
// in it: a random base64 value of 64 characters holds one of these about once in fifteen
// million values. Shorter words (todo, xxxx) turned up in about one random base64 value in
// 10,000 and refused genuine secrets; repeated characters are the run check's to find.
const PLACEHOLDERS = [
  'changeme',
  'change-me',
  'change_me',
  'replace',
  'example',
  'placeholder',
  'secret',
  'password',
  'default',
  'sample',
  'dummy',
  'insecure',
];
const PLACEHOLDER_WORDS = PLACEHOLDERS.map((p) => new RegExp(`(?:^|[^a-z])${p}(?:[^a-z]|$)`));

// Estimated entropy below this many bits is refused (random hex of 32 characters, the
// weakest usual generator output, estimates at 95 bits or more).
export const MIN_ESTIMATED_BITS = 80;
// A run this long of one character (aaaaaaaa), or of consecutive ones (abcdefgh, 87654321), is
// a pattern. Random hex, the smallest usual alphabet, holds a run of 8 in about one value of
// 64 characters in 1.5 million (a run of 6 was in one in 8,000, often enough for a genuine
// `openssl rand -hex 32` to be refused now and then).
const RUN = 8;
const SEQUENCE = 8;
// A substring this long that occurs twice is a repetition.
const REPEAT = 8;

// Shannon entropy of the value's own character frequencies times its length: an estimate
// that a repeated or low-variety value cannot pass, whatever its length.
export function estimatedBits(value: string): number {
  const chars = [...value];
  const counts = new Map<string, number>();
  for (const c of chars) counts.set(c, (counts.get(c) ?? 0) + 1);
  let perChar = 0;
  for (const n of counts.values()) {
    const p = n / chars.length;
    perChar -= p * Math.log2(p);
  }
  return perChar * chars.length;
}

function hasRun(codes: readonly number[]): boolean {
  let same = 1;
  let up = 1;
  let down = 1;
  for (let i = 1; i < codes.length; i++) {
    same = codes[i] === codes[i - 1] ? same + 1 : 1;
    up = codes[i] === codes[i - 1] + 1 ? up + 1 : 1;
    down = codes[i] === codes[i - 1] - 1 ? down + 1 : 1;
    if (same >= RUN || up >= SEQUENCE || down >= SEQUENCE) return true;
  }
  return false;
}

function hasRepeat(value: string): boolean {
  const seen = new Set<string>();
  for (let i = 0; i + REPEAT <= value.length; i++) {
    const part = value.slice(i, i + REPEAT);
    if (seen.has(part)) return true;
    seen.add(part);
  }
  return false;
}

// Why a text secret (JWT_SECRET, TURN_SECRET, METRICS_TOKEN) is too weak for production, or
// undefined. Messages never quote the value.
export function secretWeakness(value: string, minLength: number): string | undefined {
  const lower = value.toLowerCase();
  if ([...value].length < minLength)
    return `is too short for production: use at least ${minLength} characters of random data (e.g. \`openssl rand -base64 48\`)`;
  if (PLACEHOLDER_WORDS.some((word) => word.test(lower)))
    return 'looks like a placeholder from an example; generate a random secret';
  if (hasRun([...lower].map((c) => c.codePointAt(0) ?? 0)) || hasRepeat(lower))
    return 'contains a repeated or sequential pattern; generate a random secret';
  if (estimatedBits(value) < MIN_ESTIMATED_BITS)
    return `has too little entropy (under ${MIN_ESTIMATED_BITS} bits estimated); generate a random secret`;
  return undefined;
}

// The same for key material given as bytes (DATA_ENCRYPTION_KEY, the patient-data keys, the
// audit signing key's seed): random bytes have many distinct values, no runs, no repeats.
export function keyBytesWeakness(bytes: Buffer): string | undefined {
  const distinct = new Set(bytes).size;
  const latin = bytes.toString('latin1');
  if (distinct < bytes.length / 2 || hasRun([...bytes]) || hasRepeat(latin))
    return 'is not random key material (repeated or patterned bytes); generate it as docs/configuration.md shows';
  return undefined;
}
