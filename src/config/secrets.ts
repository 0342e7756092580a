import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// The secrets Hekim cannot run without; outside production they are generated when missing.
export const SECRET_NAMES = [
  'JWT_SECRET',
  'TURN_SECRET',
  'AUDIT_SIGNING_KEY',
  'DATA_ENCRYPTION_KEY',
  'PATIENT_DATA_MASTER_KEY',
  'PATIENT_DATA_INDEX_KEY',
] as const;

export type SecretName = (typeof SECRET_NAMES)[number];

export type GeneratedSecrets = Record<SecretName, string>;

export type GivenSecrets = Partial<Record<SecretName, string>>;

export interface SecretSourceOptions {
  // False: nothing is generated; every missing secret is a problem (tests supply their own).
  persistGeneratedSecrets?: boolean;
  // Missing secrets are generated in memory only; nothing is written under DATA_DIR.
  dryRun?: boolean;
}

// The third job of loading the configuration, outside production: the secrets in use are the
// given ones, and the missing ones come from DATA_DIR/secrets.json (created on the first
// start). `valid`: the rest of the configuration is sound, so writing under DATA_DIR is
// allowed. Production never comes here: every secret must be given there.
export function developmentSecrets(
  given: GivenSecrets,
  dataDir: string,
  options: SecretSourceOptions,
  valid: boolean,
): { secrets: GivenSecrets; problems: string[] } {
  const missing = SECRET_NAMES.filter((name) => given[name] === undefined);
  if (missing.length === 0) return { secrets: given, problems: [] };
  if (options.persistGeneratedSecrets === false)
    return { secrets: given, problems: missing.map((name) => `${name}: is required`) };
  if (!valid) return { secrets: given, problems: [] };
  const generated = options.dryRun ? generateSecrets() : loadOrCreateDevSecrets(dataDir);
  const secrets: GivenSecrets = { ...given };
  for (const name of missing) secrets[name] = generated[name];
  return { secrets, problems: [] };
}

export function generateSecrets(): GeneratedSecrets {
  const { privateKey } = generateKeyPairSync('ed25519');
  return {
    JWT_SECRET: randomBytes(48).toString('base64url'),
    TURN_SECRET: randomBytes(32).toString('base64url'),
    AUDIT_SIGNING_KEY: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
    DATA_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    // The key id says where the key came from; production refuses generated keys anyway.
    PATIENT_DATA_MASTER_KEY: `generated-${randomBytes(4).toString('hex')}:${randomBytes(32).toString('base64')}`,
    PATIENT_DATA_INDEX_KEY: randomBytes(32).toString('base64'),
  };
}

// Development and the embedded mode keep generated secrets in DATA_DIR/secrets.json (mode 0600)
// so that a restart keeps tokens, audit checkpoints and encrypted data valid. Never used in
// production, where every secret must come from the environment.
export function loadOrCreateDevSecrets(dataDir: string): GeneratedSecrets {
  const file = join(dataDir, 'secrets.json');
  if (existsSync(file)) {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as Partial<GeneratedSecrets>;
    const fresh = generateSecrets();
    const merged = { ...fresh, ...stored };
    if (Object.keys(stored).length < Object.keys(fresh).length) write(file, merged);
    return merged;
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const secrets = generateSecrets();
  write(file, secrets);
  return secrets;
}

function write(file: string, secrets: GeneratedSecrets): void {
  // Write then rename, so a crash never leaves a half-written file that would change keys.
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(secrets, null, 2) + '\n', { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}
