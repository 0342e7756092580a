import { randomBytes } from 'node:crypto';
import {
  estimatedBits,
  keyBytesWeakness,
  MIN_ESTIMATED_BITS,
  secretWeakness,
} from './secret-strength';

describe('secret strength (production)', () => {
  it('accepts what the usual generators produce, every time', () => {
    for (let i = 0; i < 200; i++) {
      expect(secretWeakness(randomBytes(16).toString('hex'), 32)).toBeUndefined();
      expect(secretWeakness(randomBytes(32).toString('hex'), 32)).toBeUndefined();
      expect(secretWeakness(randomBytes(32).toString('base64'), 32)).toBeUndefined();
      expect(secretWeakness(randomBytes(48).toString('base64url'), 32)).toBeUndefined();
      expect(keyBytesWeakness(randomBytes(32))).toBeUndefined();
    }
  });

  it.each([
    ['too short', 'Zx8#kP2!', /too short/],
    ['a placeholder', 'please-change-me-before-going-live-42', /placeholder/],
    ['a placeholder in capitals', 'YOUR_JWT_SECRET_GOES_HERE_1234567890', /placeholder/],
    ['a repeated word', 'hekimhekimhekimhekimhekimhekim12', /repeated or sequential/],
    ['one character', 'q'.repeat(40), /repeated or sequential/],
    ['a run of the alphabet', 'Q9abcdefghz0K7mW2xLp5vB8nR4tY6uJ', /repeated or sequential/],
    ['little variety', '0101101001011010010110100101101001', /repeated or sequential|entropy/],
  ])('refuses %s', (_name, value, message) => {
    expect(secretWeakness(value, 32)).toMatch(message);
  });

  it('estimates entropy from the value itself', () => {
    expect(estimatedBits('aaaa')).toBe(0);
    expect(estimatedBits('abcd')).toBe(8);
    expect(estimatedBits(randomBytes(16).toString('hex'))).toBeGreaterThan(MIN_ESTIMATED_BITS);
  });

  it('refuses key bytes that are not random', () => {
    expect(keyBytesWeakness(Buffer.alloc(32))).toMatch(/not random/);
    expect(keyBytesWeakness(Buffer.from('0123456789abcdef0123456789abcdef'))).toMatch(/not random/);
  });
});
