// Turkish national identity number (T.C. Kimlik No): 11 digits, the first not 0; the 10th
// and 11th are check digits computed from the others:
//   d10 = ((d1 + d3 + d5 + d7 + d9) * 7 - (d2 + d4 + d6 + d8)) mod 10
//   d11 = (d1 + d2 + … + d10) mod 10
export function tcknCheckDigits(firstNine: string): string {
  if (!/^[1-9]\d{8}$/.test(firstNine)) throw new Error('nine digits, the first not 0, expected');
  const d = [...firstNine].map(Number);
  const odd = d[0] + d[2] + d[4] + d[6] + d[8];
  const even = d[1] + d[3] + d[5] + d[7];
  const tenth = (((odd * 7 - even) % 10) + 10) % 10;
  const eleventh = (d.reduce((a, b) => a + b, 0) + tenth) % 10;
  return `${tenth}${eleventh}`;
}

export function isValidTckn(value: string): boolean {
  if (!/^[1-9]\d{10}$/.test(value)) return false;
  return tcknCheckDigits(value.slice(0, 9)) === value.slice(9);
}

// The canonical form the blind index is computed over: digits only (people type spaces).
export function normalizeNationalId(value: string): string {
  return value.replace(/[\s-]/g, '');
}
