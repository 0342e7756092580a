import { createPrivateKey } from 'node:crypto';
import { passwordProblems } from '../common/auth/password-policy/password-policy';
import { PRODUCTION_TEXT_SECRETS } from './env-decorators';
import type { EnvironmentVariables } from './env.schema';
import { list, parseMasterKeys } from './env-values';
import { keyBytesWeakness, secretWeakness } from './secret-strength';
import { SECRET_NAMES, type SecretName } from './secrets';

// What the schema alone cannot judge: the requirements of production, the strength of the
// secrets production is given, and the form of the key material once resolved (given or
// generated). Each function returns the problems it finds, one line per variable.

// Text secrets must be at least this long in production.
const PRODUCTION_SECRET_LENGTH = 32;

// `reported`: the problems found so far; a variable the schema already refused is not judged
// again (one problem per variable).
export function productionProblems(
  env: EnvironmentVariables,
  reported: readonly string[],
): string[] {
  const problems: string[] = [];
  for (const name of SECRET_NAMES) {
    const value = env[name];
    if (name === 'TURN_SECRET' && list(env.TURN_URLS).length === 0 && value === undefined) continue;
    if (value === undefined)
      problems.push(`${name}: is required in production (no default secret is used there)`);
  }
  const formed = (name: string): boolean =>
    ![...reported, ...problems].some((p) => p.startsWith(`${name}:`));
  for (const name of PRODUCTION_TEXT_SECRETS) {
    const value = (env as unknown as Record<string, unknown>)[name];
    const weakness =
      typeof value === 'string' && formed(name)
        ? secretWeakness(value, PRODUCTION_SECRET_LENGTH)
        : undefined;
    if (weakness) problems.push(`${name}: ${weakness}`);
  }
  for (const [name, bytes] of productionKeyBytes(env)) {
    const weakness = formed(name) ? keyBytesWeakness(bytes) : undefined;
    if (weakness) problems.push(`${name}: ${weakness}`);
  }
  if (!env.ADMIN_EMAIL)
    problems.push('ADMIN_EMAIL: is required in production (first admin account)');
  if (!env.ADMIN_PASSWORD)
    problems.push('ADMIN_PASSWORD: is required in production (first admin account)');
  else if (formed('ADMIN_PASSWORD')) {
    const policy = passwordProblems(env.ADMIN_PASSWORD, env.ADMIN_EMAIL ?? '');
    if (policy.length > 0)
      problems.push(`ADMIN_PASSWORD: fails the password policy (${policy.join('; ')})`);
  }
  if (!env.DATABASE_URL)
    problems.push(
      'DATABASE_URL: is required in production (the embedded database is for development)',
    );
  if (!env.REDIS_URL) problems.push('REDIS_URL: is required in production');
  return problems;
}

// The random bytes inside each key-material variable that production was given, for the
// strength check (a value that does not decode is reported by keyProblems).
function productionKeyBytes(env: EnvironmentVariables): [string, Buffer][] {
  const out: [string, Buffer][] = [];
  if (env.DATA_ENCRYPTION_KEY)
    out.push(['DATA_ENCRYPTION_KEY', Buffer.from(env.DATA_ENCRYPTION_KEY, 'base64')]);
  for (const key of parseMasterKeys(env.PATIENT_DATA_MASTER_KEY))
    out.push(['PATIENT_DATA_MASTER_KEY', key.key]);
  if (env.PATIENT_DATA_INDEX_KEY)
    out.push(['PATIENT_DATA_INDEX_KEY', Buffer.from(env.PATIENT_DATA_INDEX_KEY, 'base64')]);
  // An Ed25519 PKCS#8 DER ends with the 32-byte seed.
  const signing = env.AUDIT_SIGNING_KEY ? Buffer.from(env.AUDIT_SIGNING_KEY, 'base64') : null;
  if (signing && signing.length >= 48) out.push(['AUDIT_SIGNING_KEY', signing.subarray(-32)]);
  return out.filter(([, bytes]) => bytes.length >= 16);
}

// The form of the key material in use, whether given or generated.
export function keyProblems(
  secrets: Partial<Record<SecretName, string>>,
  previousMasterKeys: string | undefined,
): string[] {
  const problems: string[] = [];
  if (secrets.AUDIT_SIGNING_KEY !== undefined) {
    const problem = checkSigningKey(secrets.AUDIT_SIGNING_KEY);
    if (problem) problems.push(`AUDIT_SIGNING_KEY: ${problem}`);
  }
  if (
    secrets.DATA_ENCRYPTION_KEY !== undefined &&
    Buffer.from(secrets.DATA_ENCRYPTION_KEY, 'base64').length !== 32
  )
    problems.push('DATA_ENCRYPTION_KEY: must be 32 random bytes, base64-encoded');
  const masterKeys = parseMasterKeys(secrets.PATIENT_DATA_MASTER_KEY);
  const previousKeys = parseMasterKeys(previousMasterKeys);
  if (masterKeys.some((k) => k.key.length !== 32))
    problems.push('PATIENT_DATA_MASTER_KEY: the key must be exactly 32 bytes');
  if (previousKeys.some((k) => k.key.length !== 32))
    problems.push('PATIENT_DATA_PREVIOUS_MASTER_KEYS: every key must be exactly 32 bytes');
  const ids = [...masterKeys, ...previousKeys].map((k) => k.id);
  if (new Set(ids).size !== ids.length)
    problems.push(
      'PATIENT_DATA_PREVIOUS_MASTER_KEYS: key ids must differ from each other and from PATIENT_DATA_MASTER_KEY',
    );
  if (
    secrets.PATIENT_DATA_INDEX_KEY !== undefined &&
    Buffer.from(secrets.PATIENT_DATA_INDEX_KEY, 'base64').length < 32
  )
    problems.push('PATIENT_DATA_INDEX_KEY: must be at least 32 random bytes, base64-encoded');
  return problems;
}

function checkSigningKey(value: string): string | undefined {
  try {
    const key = createPrivateKey({
      key: Buffer.from(value, 'base64'),
      format: 'der',
      type: 'pkcs8',
    });
    return key.asymmetricKeyType === 'ed25519' ? undefined : 'must be an Ed25519 private key';
  } catch {
    return 'must be a base64 PKCS#8 DER Ed25519 private key (see docs/configuration.md to generate one)';
  }
}
