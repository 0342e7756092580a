import { createHash, randomBytes } from 'node:crypto';

// Refresh, reset and recovery secrets: 256 random bits, base64url. Only their SHA-256 is
// stored; a fast hash is enough for secrets with this much entropy (no guessing possible).
export function newOpaqueToken(): string {
  return randomBytes(32).toString('base64url');
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}
