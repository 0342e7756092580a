import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface GeneratedSecrets {
  JWT_SECRET: string;
  TURN_SECRET: string;
  AUDIT_SIGNING_KEY: string;
  DATA_ENCRYPTION_KEY: string;
  PATIENT_DATA_MASTER_KEY: string;
  PATIENT_DATA_INDEX_KEY: string;
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
