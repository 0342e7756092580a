import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { isRole, Role } from '../common/auth/role';
import { passwordProblems } from '../common/auth/password-policy/password-policy';
import { defaultPasswordHashConcurrency } from '../common/crypto/password-hasher';
import { AppConfig, type NodeEnv } from './app-config';
import { ENV_NAMES, EnvironmentVariables } from './env.schema';
import { keyBytesWeakness, secretWeakness } from './secret-strength';
import { generateSecrets, loadOrCreateDevSecrets, type GeneratedSecrets } from './secrets';

// Thrown when the environment is unusable; its message names every offending variable.
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `Hekim cannot start: the configuration is invalid.\n${problems.map((p) => `  - ${p}`).join('\n')}\n` +
        'See docs/configuration.md for every variable, its default and what it expects.',
    );
    this.name = 'ConfigError';
  }
}

// Text secrets must be at least this long in production.
const PRODUCTION_SECRET_LENGTH = 32;

const SECRET_NAMES = [
  'JWT_SECRET',
  'TURN_SECRET',
  'AUDIT_SIGNING_KEY',
  'DATA_ENCRYPTION_KEY',
  'PATIENT_DATA_MASTER_KEY',
  'PATIENT_DATA_INDEX_KEY',
] as const;

export interface LoadConfigOptions {
  // Outside production, missing secrets are generated and kept under DATA_DIR so that a
  // restart keeps sessions valid. Tests pass false and supply their own.
  persistGeneratedSecrets?: boolean;
  // Validate only: missing development secrets are generated in memory and nothing is
  // written under DATA_DIR (main.ts checks the whole start-up before its first side effect).
  dryRun?: boolean;
  cwd?: string;
}

// The version Swagger and /health report: the nearest package.json named "hekim", found by
// walking up from this file (it sits at a different depth under src/ and dist/src/).
function packageVersion(): string {
  let dir = __dirname;
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'hekim' && pkg.version) return pkg.version;
    } catch {
      // Not here; keep walking up.
    }
    dir = dirname(dir);
  }
  return '0.0.0';
}

// One line per variable and message: several failed constraints of one variable often share
// their message (PORT's integer, minimum and maximum checks all say "0 to 65535").
function flatten(errors: ValidationError[]): string[] {
  return errors.flatMap((e) =>
    [...new Set(Object.values(e.constraints ?? {}))].map(
      (message) => `${e.property}: ${message} (got ${describe(e.value)})`,
    ),
  );
}

// Never echo a value that may be a secret.
function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string')
    return value.length > 40 ? `a ${value.length}-character value` : JSON.stringify(value);
  return JSON.stringify(value);
}

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v.length > 0);
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

// The random bytes inside each key-material variable that production was given, for the
// strength check (a value that does not decode is reported by its own check below).
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

export interface MasterKey {
  id: string;
  key: Buffer;
}

// `<id>:<base64>` entries (the schema has checked their shape), comma-separated.
export function parseMasterKeys(value: string | undefined): MasterKey[] {
  return list(value).map((entry) => {
    const at = entry.indexOf(':');
    return { id: entry.slice(0, at), key: Buffer.from(entry.slice(at + 1), 'base64') };
  });
}

// This server's demo page, reachable from the machine it runs on.
function defaultAppBaseUrl(host: string, port: number): string {
  const local = ['0.0.0.0', '::', ''].includes(host) ? '127.0.0.1' : host;
  return `http://${local.includes(':') ? `[${local}]` : local}:${port}/demo/`;
}

function checkEncryptionKey(value: string): string | undefined {
  return Buffer.from(value, 'base64').length === 32
    ? undefined
    : 'must be 32 random bytes, base64-encoded';
}

export function loadConfig(rawEnv: NodeJS.ProcessEnv, options: LoadConfigOptions = {}): AppConfig {
  // Unknown names are ignored; empty strings count as unset so that `FOO=` in a .env file
  // means "use the default".
  const plain: Record<string, string> = {};
  for (const name of ENV_NAMES) {
    const value = rawEnv[name];
    if (value !== undefined && value !== '') plain[name] = value;
  }
  const env = plainToInstance(EnvironmentVariables, plain);
  const problems = flatten(validateSync(env, { forbidUnknownValues: true }));

  const nodeEnv = env.NODE_ENV as NodeEnv;
  const production = nodeEnv === 'production';
  const dataDir = isAbsolute(env.DATA_DIR)
    ? env.DATA_DIR
    : resolve(options.cwd ?? process.cwd(), env.DATA_DIR);

  let generated: GeneratedSecrets | undefined;
  if (production) {
    for (const name of SECRET_NAMES) {
      const value = env[name];
      if (name === 'TURN_SECRET' && list(env.TURN_URLS).length === 0 && value === undefined)
        continue;
      if (value === undefined)
        problems.push(`${name}: is required in production (no default secret is used there)`);
    }
    // Judged once the schema has found them well formed (one problem per variable).
    const formed = (name: string): boolean => !problems.some((p) => p.startsWith(`${name}:`));
    for (const name of ['JWT_SECRET', 'TURN_SECRET', 'METRICS_TOKEN'] as const) {
      const value = env[name];
      const weakness =
        value !== undefined && formed(name)
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
  } else if (SECRET_NAMES.some((name) => env[name] === undefined)) {
    if (options.persistGeneratedSecrets === false) {
      for (const name of SECRET_NAMES)
        if (env[name] === undefined) problems.push(`${name}: is required`);
    } else if (problems.length === 0) {
      generated = options.dryRun ? generateSecrets() : loadOrCreateDevSecrets(dataDir);
    }
  }
  if (env.INSTANCES > 1 && !env.REDIS_URL) {
    problems.push(
      `REDIS_URL: is required when INSTANCES is ${env.INSTANCES} (in-process stores serve one instance only)`,
    );
  }

  const jwtSecret = env.JWT_SECRET ?? generated?.JWT_SECRET;
  const turnSecret = env.TURN_SECRET ?? generated?.TURN_SECRET;
  const signingKey = env.AUDIT_SIGNING_KEY ?? generated?.AUDIT_SIGNING_KEY;
  const encryptionKey = env.DATA_ENCRYPTION_KEY ?? generated?.DATA_ENCRYPTION_KEY;
  if (signingKey !== undefined) {
    const problem = checkSigningKey(signingKey);
    if (problem) problems.push(`AUDIT_SIGNING_KEY: ${problem}`);
  }
  if (encryptionKey !== undefined) {
    const problem = checkEncryptionKey(encryptionKey);
    if (problem) problems.push(`DATA_ENCRYPTION_KEY: ${problem}`);
  }
  const masterKeyValue = env.PATIENT_DATA_MASTER_KEY ?? generated?.PATIENT_DATA_MASTER_KEY;
  const indexKey = env.PATIENT_DATA_INDEX_KEY ?? generated?.PATIENT_DATA_INDEX_KEY;
  const masterKeys = parseMasterKeys(masterKeyValue);
  const previousKeys = parseMasterKeys(env.PATIENT_DATA_PREVIOUS_MASTER_KEYS);
  if (masterKeys.some((k) => k.key.length !== 32))
    problems.push('PATIENT_DATA_MASTER_KEY: the key must be exactly 32 bytes');
  if (previousKeys.some((k) => k.key.length !== 32))
    problems.push('PATIENT_DATA_PREVIOUS_MASTER_KEYS: every key must be exactly 32 bytes');
  const ids = [...masterKeys, ...previousKeys].map((k) => k.id);
  if (new Set(ids).size !== ids.length)
    problems.push(
      'PATIENT_DATA_PREVIOUS_MASTER_KEYS: key ids must differ from each other and from PATIENT_DATA_MASTER_KEY',
    );
  if (indexKey !== undefined && Buffer.from(indexKey, 'base64').length < 32)
    problems.push('PATIENT_DATA_INDEX_KEY: must be at least 32 random bytes, base64-encoded');
  if (problems.length > 0) throw new ConfigError(problems);

  const mfaRoles =
    env.MFA_REQUIRED_ROLES !== undefined
      ? list(env.MFA_REQUIRED_ROLES).filter(isRole)
      : production
        ? [Role.Doctor, Role.Admin, Role.ComplianceOfficer]
        : [];

  const config = new AppConfig();
  Object.assign(config, {
    env: nodeEnv,
    version: packageVersion(),
    host: env.HOST,
    port: env.PORT,
    dataDir,
    instances: env.INSTANCES,
    trustProxy: env.TRUST_PROXY,
    database: {
      mode: env.DATABASE_URL ? 'server' : 'embedded',
      url: env.DATABASE_URL,
      embeddedPort: env.EMBEDDED_DATABASE_PORT,
      migrationsRun: env.DATABASE_MIGRATIONS_RUN,
      poolSize: env.DATABASE_POOL_SIZE,
      statementTimeoutMs: env.DATABASE_STATEMENT_TIMEOUT_MS,
    },
    redis: { url: env.REDIS_URL, keyPrefix: env.REDIS_KEY_PREFIX },
    http: {
      corsOrigins: list(env.CORS_ORIGINS),
      bodyLimitBytes: env.BODY_LIMIT_BYTES,
      // Production keeps the API explorer off and the metrics behind METRICS_TOKEN unless the
      // operator says otherwise (docs/configuration.md).
      docsEnabled: env.DOCS_ENABLED ?? !production,
      metricsEnabled: env.METRICS_ENABLED ?? (!production || env.METRICS_TOKEN !== undefined),
      metricsToken: env.METRICS_TOKEN,
    },
    log: { level: env.LOG_LEVEL },
    shutdown: {
      drainDelaySeconds: env.SHUTDOWN_DRAIN_DELAY_SECONDS ?? (production ? 5 : 0),
      timeoutSeconds: env.SHUTDOWN_TIMEOUT_SECONDS,
    },
    auth: {
      jwtSecret: jwtSecret as string,
      jwtIssuer: env.JWT_ISSUER,
      jwtAudience: env.JWT_AUDIENCE,
      accessTokenTtlSeconds: env.ACCESS_TOKEN_TTL_SECONDS,
      refreshTokenTtlSeconds: env.REFRESH_TOKEN_TTL_SECONDS,
      refreshIdleTimeoutSeconds: env.REFRESH_IDLE_TIMEOUT_SECONDS,
      mfaRequiredRoles: mfaRoles,
      loginMaxAttempts: env.LOGIN_MAX_ATTEMPTS,
      lockoutBaseSeconds: env.LOCKOUT_BASE_SECONDS,
      passwordResetTtlSeconds: env.PASSWORD_RESET_TTL_SECONDS,
      rateLimitPerMinute: env.AUTH_RATE_LIMIT_PER_MINUTE,
      passwordHashConcurrency:
        env.PASSWORD_HASH_CONCURRENCY ?? defaultPasswordHashConcurrency(availableParallelism()),
      emailVerificationRequired:
        (env.AUTH_EMAIL_VERIFICATION ?? (production ? 'required' : 'off')) === 'required',
    },
    admin: { email: env.ADMIN_EMAIL?.toLowerCase(), password: env.ADMIN_PASSWORD },
    ice: {
      stunUrls: list(env.STUN_URLS),
      turnUrls: list(env.TURN_URLS),
      turnSecret: turnSecret ?? '',
      turnTtlSeconds: env.TURN_TTL_SECONDS,
      ratePerMinute: env.ICE_SERVERS_RATE_PER_MINUTE,
    },
    calls: {
      ringTimeoutSeconds: env.CALL_RING_TIMEOUT_SECONDS,
      maxCallees: env.CALL_MAX_CALLEES,
      initiateRatePerMinute: env.CALL_INITIATE_RATE_PER_MINUTE,
    },
    signaling: {
      reconnectGraceSeconds: env.SIGNALING_RECONNECT_GRACE_SECONDS,
      maxPayloadBytes: env.SIGNALING_MAX_PAYLOAD_BYTES,
      eventsPerSecond: env.SIGNALING_EVENTS_PER_SECOND,
      maxSocketsPerUser: env.SIGNALING_MAX_SOCKETS_PER_USER,
    },
    audit: {
      signingKey: signingKey as string,
      retentionDays: env.AUDIT_RETENTION_DAYS,
      checkpointEveryRecords: env.AUDIT_CHECKPOINT_EVERY_RECORDS,
      checkpointEveryMinutes: env.AUDIT_CHECKPOINT_EVERY_MINUTES,
    },
    encryption: { dataEncryptionKey: encryptionKey as string },
    patientData: {
      masterKey: masterKeys[0],
      previousMasterKeys: previousKeys,
      indexKey: Buffer.from(indexKey as string, 'base64'),
      breakGlassMaxMinutes: env.BREAK_GLASS_MAX_MINUTES,
    },
    care: { followUpDays: env.CARE_FOLLOW_UP_DAYS },
    retention: {
      sessionsDays: env.RETENTION_SESSIONS_DAYS,
      callsDays: env.RETENTION_CALLS_DAYS,
      jobIntervalMinutes: env.RETENTION_JOB_INTERVAL_MINUTES,
    },
    mail: {
      smtpUrl: env.SMTP_URL,
      from: env.MAIL_FROM,
      appBaseUrl: env.APP_BASE_URL ?? defaultAppBaseUrl(env.HOST, env.PORT),
      defaultLocale: (env.NOTIFY_DEFAULT_LOCALE ?? 'tr') as 'tr' | 'en',
      localMailbox: !production && !env.SMTP_URL,
    },
    sms: {
      gatewayUrl: env.SMS_GATEWAY_URL,
      gatewayToken: env.SMS_GATEWAY_TOKEN,
      defaultCountry: env.SMS_DEFAULT_COUNTRY,
    },
    webhooks: {
      allowPrivateTargets: env.WEBHOOK_ALLOW_PRIVATE_TARGETS,
      httpsOnly: production,
      timeoutMs: env.WEBHOOK_TIMEOUT_MS,
    },
    notify: {
      relayEnabled: env.NOTIFY_RELAY_ENABLED,
      maxAttempts: env.NOTIFY_MAX_ATTEMPTS,
      retryBaseMs: env.NOTIFY_RETRY_BASE_MS,
      retryMaxMs: Math.max(env.NOTIFY_RETRY_MAX_MS, env.NOTIFY_RETRY_BASE_MS),
      leaseSeconds: env.NOTIFY_LEASE_SECONDS,
      pollIntervalMs: env.NOTIFY_POLL_INTERVAL_MS,
      batchSize: env.NOTIFY_BATCH_SIZE,
    },
  } satisfies AppConfig);
  return config;
}
