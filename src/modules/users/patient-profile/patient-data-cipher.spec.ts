import { randomBytes, randomUUID } from 'node:crypto';
import { PatientDataCipher } from './patient-data-cipher';

const key = (id: string) => ({ id, key: randomBytes(32) });

describe('PatientDataCipher', () => {
  const indexKey = randomBytes(32);
  const userId = randomUUID();
  const k1 = key('k1');
  const cipher = new PatientDataCipher(k1, [], indexKey);

  it('round-trips a field through a wrapped data key', () => {
    const dataKey = cipher.newDataKey();
    const wrapped = cipher.wrap(userId, dataKey);
    expect(wrapped.keyId).toBe('k1');
    expect(wrapped.wrappedKey).not.toContain(dataKey.toString('base64url'));
    const sealed = cipher.encryptField(dataKey, userId, 'phone', '+905551112233');
    expect(sealed).not.toContain('905551112233');
    const unwrapped = cipher.unwrap(userId, wrapped);
    expect(cipher.decryptField(unwrapped, userId, 'phone', sealed)).toBe('+905551112233');
  });

  it('binds ciphertexts to their person and field (associated data)', () => {
    const dataKey = cipher.newDataKey();
    const sealed = cipher.encryptField(dataKey, userId, 'phone', '+905551112233');
    expect(() => cipher.decryptField(dataKey, randomUUID(), 'phone', sealed)).toThrow();
    expect(() => cipher.decryptField(dataKey, userId, 'nationalId', sealed)).toThrow();
    const wrapped = cipher.wrap(userId, dataKey);
    expect(() => cipher.unwrap(randomUUID(), wrapped)).toThrow();
  });

  it('detects tampering and refuses malformed values', () => {
    const dataKey = cipher.newDataKey();
    const sealed = cipher.encryptField(dataKey, userId, 'dateOfBirth', '1990-01-02');
    const parts = sealed.split('.');
    const data = Buffer.from(parts[3], 'base64url');
    data[0] ^= 1;
    parts[3] = data.toString('base64url');
    expect(() => cipher.decryptField(dataKey, userId, 'dateOfBirth', parts.join('.'))).toThrow();
    expect(() => cipher.decryptField(dataKey, userId, 'dateOfBirth', 'v2.a.b.c')).toThrow(
      'unrecognised sealed value',
    );
    expect(() => cipher.decryptField(dataKey, userId, 'dateOfBirth', `${sealed}.x`)).toThrow();
  });

  it('rotates: re-wraps under the new key, old key then unnecessary', () => {
    const dataKey = cipher.newDataKey();
    const old = cipher.wrap(userId, dataKey);
    const k2 = key('k2');
    const during = new PatientDataCipher(k2, [k1], indexKey);
    expect(during.unwrap(userId, old).equals(dataKey)).toBe(true);
    const rewrapped = during.rewrap(userId, old);
    expect(rewrapped.keyId).toBe('k2');
    expect(during.rewrap(userId, rewrapped)).toBe(rewrapped);
    const after = new PatientDataCipher(k2, [], indexKey);
    expect(after.unwrap(userId, rewrapped).equals(dataKey)).toBe(true);
    expect(() => after.unwrap(userId, old)).toThrow('master key k1 is not configured');
  });

  it('computes a keyed, normalized blind index', () => {
    const a = cipher.nationalIdIndex('10000000146');
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(cipher.nationalIdIndex(' 100 000 00146')).toBe(a);
    expect(cipher.nationalIdIndex('19090909018')).not.toBe(a);
    expect(new PatientDataCipher(k1, [], randomBytes(32)).nationalIdIndex('10000000146')).not.toBe(
      a,
    );
  });
});
