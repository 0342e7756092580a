import { createHmac, randomBytes } from 'node:crypto';
import { open, seal } from '../../../common/crypto/aead';
import { normalizeNationalId } from './national-id';

export interface MasterKey {
  id: string;
  key: Buffer;
}

export interface WrappedDataKey {
  keyId: string;
  wrappedKey: string;
}

export type ProfileField = 'nationalId' | 'dateOfBirth' | 'phone';

// Envelope encryption of patient data (docs/patient-data.md):
// - each person has a random 256-bit data key; their fields are sealed with it (AES-256-GCM,
//   associated data = user id + field name, so a ciphertext copied to another person or
//   column does not open);
// - the data key is stored wrapped (AES-256-GCM) by the master key, with the master key's id,
//   associated data = user id + key id;
// - destroying the wrapped data key makes every field of that person unreadable for good.
export class PatientDataCipher {
  private readonly keys: Map<string, Buffer>;

  constructor(
    private readonly current: MasterKey,
    previous: readonly MasterKey[],
    private readonly indexKey: Buffer,
  ) {
    this.keys = new Map([...previous, current].map((k) => [k.id, k.key]));
  }

  get currentKeyId(): string {
    return this.current.id;
  }

  newDataKey(): Buffer {
    return randomBytes(32);
  }

  wrap(userId: string, dataKey: Buffer): WrappedDataKey {
    return {
      keyId: this.current.id,
      wrappedKey: seal(this.current.key, dataKey, wrapAad(userId, this.current.id)),
    };
  }

  // Throws when the master key with that id is not configured (any more) or the wrapped key
  // does not belong to this user.
  unwrap(userId: string, wrapped: WrappedDataKey): Buffer {
    const master = this.keys.get(wrapped.keyId);
    if (!master) throw new Error(`master key ${wrapped.keyId} is not configured`);
    return open(master, wrapped.wrappedKey, wrapAad(userId, wrapped.keyId));
  }

  // Re-wraps under the current master key (rotation); already-current keys come back as is.
  rewrap(userId: string, wrapped: WrappedDataKey): WrappedDataKey {
    if (wrapped.keyId === this.current.id) return wrapped;
    return this.wrap(userId, this.unwrap(userId, wrapped));
  }

  encryptField(dataKey: Buffer, userId: string, field: ProfileField, value: string): string {
    return seal(dataKey, Buffer.from(value, 'utf8'), fieldAad(userId, field));
  }

  decryptField(dataKey: Buffer, userId: string, field: ProfileField, sealed: string): string {
    return open(dataKey, sealed, fieldAad(userId, field)).toString('utf8');
  }

  // Keyed blind index: equal numbers give equal values, but without the index key a value
  // reveals nothing (11-digit numbers are too few to hash without a key).
  nationalIdIndex(nationalId: string): string {
    return createHmac('sha256', this.indexKey)
      .update(`hekim:national-id:v1:${normalizeNationalId(nationalId)}`, 'utf8')
      .digest('hex');
  }
}

function wrapAad(userId: string, keyId: string): string {
  return `hekim:patient-data-key:v1:${userId}:${keyId}`;
}

function fieldAad(userId: string, field: ProfileField): string {
  return `hekim:patient-profile:v1:${userId}:${field}`;
}
