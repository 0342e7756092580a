import { randomBytes } from 'node:crypto';
import { open, seal } from './aead';

describe('seal', () => {
  const key = randomBytes(32);

  it('opens what it sealed, with the same associated data only', () => {
    const sealed = seal(key, Buffer.from('Parasetamol 500 mg'), 'hekim:test:1');
    expect(open(key, sealed, 'hekim:test:1').toString()).toBe('Parasetamol 500 mg');
    expect(() => open(key, sealed, 'hekim:test:2')).toThrow();
  });

  it('never repeats a nonce, across many blocks of buffered randomness', () => {
    const ivs = new Set<string>();
    const n = 5000;
    for (let i = 0; i < n; i++) ivs.add(seal(key, Buffer.from('x'), 'a').split('.')[1]);
    expect(ivs.size).toBe(n);
    for (const iv of ivs) expect(Buffer.from(iv, 'base64url')).toHaveLength(12);
  });
});
