import { hash, verify } from '@node-rs/argon2';

// argon2id with the OWASP parameters (19 MiB, 2 passes, 1 lane). @node-rs/argon2 ships a
// prebuilt addon, so no compiler is needed at install time.
const OPTIONS = {
  // Algorithm.Argon2id is an ambient const enum (not importable under isolatedModules); 2 is its value.
  algorithm: 2,
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
} as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    // A malformed stored hash is a mismatch, never an exception that reveals anything.
    return false;
  }
}
