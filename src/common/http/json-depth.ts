// Hazard: class-transformer and class-validator walk payloads recursively, so a body nested a
// few thousand levels deep overflows the stack (a 500 on REST, INTERNAL on signaling). No
// Hekim payload nests deeper than a handful of levels: anything past MAX_JSON_DEPTH is refused
// before it is parsed (REST) or validated (signaling).
export const MAX_JSON_DEPTH = 32;

// Nesting depth of raw JSON text, counting brackets outside strings; stops early past `max`.
export function rawJsonDepthExceeds(text: Buffer | string, max = MAX_JSON_DEPTH): boolean {
  const buf = typeof text === 'string' ? Buffer.from(text) : text;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

// The same for an already parsed value (signaling payloads arrive parsed), without recursion.
export function valueDepthExceeds(value: unknown, max = MAX_JSON_DEPTH): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth + 1 > max) return true;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}

// body-parser `verify` hook: a 400 (VALIDATION_FAILED) before JSON.parse sees the body.
export function refuseDeepJson(_req: unknown, _res: unknown, buf: Buffer): void {
  if (rawJsonDepthExceeds(buf))
    throw Object.assign(new Error(`JSON nested deeper than ${MAX_JSON_DEPTH} levels`), {
      status: 400,
    });
}

// Keys that name JavaScript's prototype machinery. No Hekim payload uses them; a body that
// does is an attempt at prototype pollution (or a confused client), refused with a 400
// rather than dropped in silence.
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

// The path of the first such key in a parsed value (`x.__proto__`), or null.
export function prototypeKeyPath(value: unknown): string | null {
  const stack: [unknown, string][] = [[value, '']];
  let visited = 0;
  while (stack.length > 0 && visited++ < 100_000) {
    const [v, path] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    for (const key of Object.keys(v)) {
      const at = path ? `${path}.${key}` : key;
      if (PROTOTYPE_KEYS.has(key)) return at;
      stack.push([(v as Record<string, unknown>)[key], at]);
    }
  }
  return null;
}

// Hazard: PostgreSQL text cannot hold U+0000 ("invalid byte sequence for encoding UTF8: 0x00"),
// so a NUL anywhere in a value that reaches a query is a 500. No Hekim field carries one.
export function containsNul(value: unknown): boolean {
  const stack: unknown[] = [value];
  let visited = 0;
  while (stack.length > 0 && visited++ < 100_000) {
    const v = stack.pop();
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return true;
    } else if (typeof v === 'object' && v !== null) {
      for (const [key, child] of Object.entries(v)) {
        if (key.includes('\u0000')) return true;
        stack.push(child);
      }
    }
  }
  return false;
}
