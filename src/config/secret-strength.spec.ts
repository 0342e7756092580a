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

  it('does not take letters inside random text for a placeholder', () => {
    // A 4-letter word inside random base64 refused about one genuine secret in 10,000.
    expect(secretWeakness('Qm7TODOzK2pV9xR4wL8nB3cF6hJ1sD5gY0tU', 32)).toBeUndefined();
    expect(secretWeakness('Qm7k2DUMMYpV9xR4wL8nB3cF6hJ1sD5gY0tU', 32)).toBeUndefined();
    expect(secretWeakness('Qm7k2-dummy-V9xR4wL8nB3cF6hJ1sD5gY0tU', 32)).toMatch(/placeholder/);
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
