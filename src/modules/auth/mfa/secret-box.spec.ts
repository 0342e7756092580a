import { randomBytes } from 'node:crypto';
import { SecretBox } from './secret-box';

describe('SecretBox', () => {
  const key = randomBytes(32).toString('base64');

  it('round-trips and never stores the plaintext', () => {
    const box = new SecretBox(key, 'test');
    const sealed = box.seal('JBSWY3DPEHPK3PXP');
    expect(sealed).not.toContain('JBSWY3DPEHPK3PXP');
    expect(box.open(sealed)).toBe('JBSWY3DPEHPK3PXP');
  });

  it('refuses tampered data, another purpose and unknown formats', () => {
    const box = new SecretBox(key, 'test');
    const sealed = box.seal('secret');
    const parts = sealed.split('.');
    parts[3] = Buffer.from('other!').toString('base64url');
    expect(() => box.open(parts.join('.'))).toThrow();
    expect(() => new SecretBox(key, 'other').open(sealed)).toThrow();
    expect(() => box.open('v2.a.b.c')).toThrow('unrecognised sealed secret');
  });
});
