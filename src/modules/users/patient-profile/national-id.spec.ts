import { isValidTckn, normalizeNationalId, tcknCheckDigits } from './national-id';

describe('TCKN validation', () => {
  it('accepts numbers whose check digits follow the published algorithm', () => {
    // 10000000146 is the number Turkish public services publish for testing.
    expect(isValidTckn('10000000146')).toBe(true);
    expect(tcknCheckDigits('100000001')).toBe('46');
    expect(isValidTckn(`123456789${tcknCheckDigits('123456789')}`)).toBe(true);
  });

  it('handles a negative intermediate in the tenth digit (mod 10 stays positive)', () => {
    // Odd positions sum to 1, even ones to 36: 7 - 36 = -29 → 1 (not -9); then 38 → 8.
    expect(tcknCheckDigits('190909090')).toBe('18');
    expect(isValidTckn('19090909018')).toBe(true);
  });

  it('refuses a wrong check digit, a leading zero, a wrong length or non-digits', () => {
    expect(isValidTckn('10000000147')).toBe(false);
    expect(isValidTckn('10000000156')).toBe(false);
    expect(isValidTckn('00000000146')).toBe(false);
    expect(isValidTckn('1000000014')).toBe(false);
    expect(isValidTckn('100000001466')).toBe(false);
    expect(isValidTckn('1000000014a')).toBe(false);
    expect(() => tcknCheckDigits('012345678')).toThrow();
  });

  it('changes every single-digit substitution into an invalid number', () => {
    const valid = '10000000146';
    for (let i = 0; i < 11; i++) {
      for (let digit = 0; digit <= 9; digit++) {
        const changed = valid.slice(0, i) + String(digit) + valid.slice(i + 1);
        if (changed !== valid) expect(isValidTckn(changed)).toBe(false);
      }
    }
  });

  it('normalizes spaces and dashes away', () => {
    expect(normalizeNationalId(' 100 000 001-46 ')).toBe('10000000146');
  });
});
