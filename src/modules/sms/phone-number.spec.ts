import { normalizePhone } from './phone-number';

describe('normalizePhone', () => {
  it('normalizes Turkish numbers written the usual ways to E.164', () => {
    for (const raw of ['0532 123 45 67', '+90 532 123 45 67', '(0532) 123-4567', '5321234567'])
      expect(normalizePhone(raw, 'TR')).toBe('+905321234567');
  });

  it('keeps an explicit country code and refuses what is not a number', () => {
    expect(normalizePhone('+44 20 7946 0958', 'TR')).toBe('+442079460958');
    for (const raw of ['12', 'call me', '+90 532', ''])
      expect(normalizePhone(raw, 'TR')).toBeUndefined();
  });
});
