import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

// AES-256-GCM for small secrets at rest (TOTP seeds). The key is derived from
// DATA_ENCRYPTION_KEY with HKDF and a purpose label, so it is never the master key itself.
// Format: v1.<iv>.<tag>.<ciphertext>, base64url parts.
export class SecretBox {
  private readonly key: Buffer;

  constructor(masterKeyBase64: string, purpose: string) {
    this.key = Buffer.from(
      hkdfSync('sha256', Buffer.from(masterKeyBase64, 'base64'), Buffer.alloc(0), purpose, 32),
    );
  }

  seal(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', iv, cipher.getAuthTag(), data]
      .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
      .join('.');
  }

  open(sealed: string): string {
    const [version, iv, tag, data] = sealed.split('.');
    if (version !== 'v1' || !iv || !tag || data === undefined) {
      throw new Error('unrecognised sealed secret');
    }
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([
      decipher.update(Buffer.from(data, 'base64url')),
      decipher.final(),
    ]).toString('utf8');
  }
}
