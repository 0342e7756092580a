import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

// Nonces for seal: 12 random bytes each, cut from a larger block of the CSPRNG (as Node's own
// randomUUID buffers its randomness): one call into OpenSSL per IV_POOL values instead of one
// per value, which at the chat's saturation was about 4 % of the instance's CPU
// (docs/chat.md, "Performance"). A block is never reused: when it runs out a new one is drawn.
const IV_BYTES = 12;
const IV_POOL = 256;
let ivBlock = Buffer.alloc(0);
let ivOffset = 0;

function nextIv(): Buffer {
  if (ivOffset + IV_BYTES > ivBlock.length) {
    ivBlock = randomBytes(IV_BYTES * IV_POOL);
    ivOffset = 0;
  }
  const iv = ivBlock.subarray(ivOffset, ivOffset + IV_BYTES);
  ivOffset += IV_BYTES;
  return iv;
}

// AES-256-GCM with associated data, for values stored at rest. The associated data binds a
// ciphertext to where it belongs (whose record, which field): moved to another row or column,
// it no longer opens. Format: v1.<iv>.<tag>.<ciphertext>, base64url parts.
export function seal(key: Buffer, plaintext: Buffer, aad: string): string {
  const iv = nextIv();
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const data = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return [
    'v1',
    iv.toString('base64url'),
    cipher.getAuthTag().toString('base64url'),
    data.toString('base64url'),
  ].join('.');
}

// Throws when the key, the associated data or any byte of the sealed value is wrong.
export function open(key: Buffer, sealed: string, aad: string): Buffer {
  const [version, iv, tag, data, extra] = sealed.split('.');
  if (version !== 'v1' || !iv || !tag || data === undefined || extra !== undefined) {
    throw new Error('unrecognised sealed value');
  }
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]);
}

// The binary twin of seal/open for large values (files): iv (12) + tag (16) + ciphertext in
// one buffer, no base64 inflation.
export function sealBytes(key: Buffer, plaintext: Buffer, aad: string): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const data = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), data]);
}

// Throws when the key, the associated data or any byte is wrong.
export function openBytes(key: Buffer, sealed: Buffer, aad: string): Buffer {
  if (sealed.length < 28) throw new Error('unrecognised sealed value');
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(sealed.subarray(12, 28));
  return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]);
}
