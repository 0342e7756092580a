import {
  createHash,
  createPrivateKey,
  createPublicKey,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto';
import { canonicalJson, type CheckpointBody } from './audit-chain';

// Ed25519 over the UTF-8 bytes of the checkpoint's canonical JSON; the signature is base64.
export function signCheckpoint(body: CheckpointBody, privateKey: KeyObject): string {
  return sign(null, Buffer.from(canonicalJson(body), 'utf8'), privateKey).toString('base64');
}

export function checkpointSignatureValid(
  body: CheckpointBody,
  signature: string,
  publicKey: KeyObject,
): boolean {
  const bytes = Buffer.from(signature, 'base64');
  // A signature that is not exactly 64 bytes of base64 is not one (Buffer.from is lenient).
  if (bytes.length !== 64 || bytes.toString('base64') !== signature) return false;
  return verify(null, Buffer.from(canonicalJson(body), 'utf8'), publicKey, bytes);
}

// Names the key in each checkpoint, so that a rotated key is told apart from a forged one.
export function keyIdOf(publicKey: KeyObject): string {
  const der = publicKey.export({ format: 'der', type: 'spki' });
  return createHash('sha256').update(der).digest('hex').slice(0, 16);
}

export function privateKeyFromConfig(base64Pkcs8: string): KeyObject {
  return createPrivateKey({
    key: Buffer.from(base64Pkcs8, 'base64'),
    format: 'der',
    type: 'pkcs8',
  });
}

export function publicKeyPem(privateKey: KeyObject): string {
  return createPublicKey(privateKey).export({ format: 'pem', type: 'spki' }).toString();
}

export function publicKeyFromPem(pem: string): KeyObject {
  const key = createPublicKey(pem);
  if (key.asymmetricKeyType !== 'ed25519') throw new Error('the public key is not Ed25519');
  return key;
}
