import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Role } from '../common/auth/role';
import { defaultPasswordHashConcurrency } from '../common/crypto/password-hasher';
import { ConfigError, loadConfig, withDatabaseUrl } from './load-config';
import { generateSecrets } from './secrets';

const secrets = generateSecrets();

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env, { persistGeneratedSecrets: false });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('loadConfig', () => {
  it('applies documented defaults', () => {
    const config = loadConfig({ ...secrets }, { persistGeneratedSecrets: false });
    expect(config).toMatchObject({
      env: 'development',
      host: '127.0.0.1',
      port: 3000,
      database: { mode: 'embedded', migrationsRun: true },
      redis: { url: undefined, keyPrefix: 'hekim:' },
      auth: { accessTokenTtlSeconds: 900, mfaRequiredRoles: [] },
      calls: { ringTimeoutSeconds: 30 },
      signaling: { reconnectGraceSeconds: 15 },
      audit: { retentionDays: 2190 },
    });
  });

  it('parses numbers, booleans and lists, and treats empty strings as unset', () => {
    const config = loadConfig(
      {
        ...secrets,
        PORT: '8080',
        DOCS_ENABLED: 'false',
        CORS_ORIGINS: 'https://a.example, https://b.example',
        STUN_URLS: 'stun:stun.example:3478',
        TURN_URLS: 'turn:turn.example:3478?transport=udp,turns:turn.example:5349',
        MFA_REQUIRED_ROLES: 'doctor, admin',
        DATABASE_URL: 'postgres://u:p@db:5432/hekim',
        REDIS_URL: '',
      },
      { persistGeneratedSecrets: false },
    );
    expect(config.port).toBe(8080);
    expect(config.http.docsEnabled).toBe(false);
    expect(config.http.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
    expect(config.ice.turnUrls).toHaveLength(2);
    expect(config.auth.mfaRequiredRoles).toEqual([Role.Doctor, Role.Admin]);
    expect(config.database.mode).toBe('server');
    expect(config.redis.url).toBeUndefined();
  });

  it('keeps a core free of password hashing unless told otherwise', () => {
    const cores = availableParallelism();
    expect(loadConfig({ ...secrets }, { persistGeneratedSecrets: false }).auth).toMatchObject({
      passwordHashConcurrency: defaultPasswordHashConcurrency(cores),
    });
    expect(
      loadConfig({ ...secrets, PASSWORD_HASH_CONCURRENCY: '6' }, { persistGeneratedSecrets: false })
        .auth.passwordHashConcurrency,
    ).toBe(6);
    expect(problemsOf({ ...secrets, PASSWORD_HASH_CONCURRENCY: '0' })).toEqual([
      expect.stringMatching(/^PASSWORD_HASH_CONCURRENCY: must be a whole number from 1 to 64/),
    ]);
  });

  it('takes the audit source host from AUDIT_SOURCE_HOST, else APP_BASE_URL, else the machine', () => {
    const host = (env: NodeJS.ProcessEnv) =>
      loadConfig({ ...secrets, ...env }, { persistGeneratedSecrets: false }).audit.sourceHost;
    expect(host({ AUDIT_SOURCE_HOST: 'audit.example.org' })).toBe('audit.example.org');
    expect(host({ AUDIT_SOURCE_HOST: '10.0.0.5' })).toBe('10.0.0.5');
    expect(host({ AUDIT_SOURCE_HOST: '2001:db8::1' })).toBe('2001:db8::1');
    expect(host({ APP_BASE_URL: 'https://app.example.org/x/' })).toBe('app.example.org');
    expect(host({})).toBe(hostname() || 'localhost');
    for (const bad of ['https://audit.example.org', 'two words', 'a_b.example', '-x.example'])
      expect(problemsOf({ ...secrets, AUDIT_SOURCE_HOST: bad })).toEqual([
        expect.stringMatching(/^AUDIT_SOURCE_HOST: must be a host name or an IP address literal/),
      ]);
  });

  it('names every offending variable with what it expects', () => {
    const problems = problemsOf({
      ...secrets,
      PORT: '70000',
      TURN_TTL_SECONDS: '7200',
      REDIS_URL: 'http://x',
      CORS_ORIGINS: 'not a url',
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^PORT: must be a whole number from 0 to 65535 \(got 70000\)$/),
        expect.stringMatching(
          /^TURN_TTL_SECONDS: must be a whole number of seconds from 60 to 3600/,
        ),
        expect.stringMatching(/^REDIS_URL: must be a redis:\/\//),
        expect.stringMatching(/^CORS_ORIGINS: must be a comma-separated list of origins/),
      ]),
    );
    expect(() => loadConfig({ ...secrets, PORT: 'x' }, { persistGeneratedSecrets: false })).toThrow(
      /docs\/configuration\.md/,
    );
  });

  it('never echoes a long value that may be a secret', () => {
    const problems = problemsOf({
      ...secrets,
      JWT_SECRET: 'short',
      AUDIT_SIGNING_KEY: 'A'.repeat(64),
    });
    expect(problems.join('\n')).toContain('JWT_SECRET: must be at least 32 characters');
    expect(problems.join('\n')).toContain(
      'AUDIT_SIGNING_KEY: must be a base64 PKCS#8 DER Ed25519 private key',
    );
    expect(problems.join('\n')).not.toContain('A'.repeat(64));
  });

  it('requires secrets when generation is off', () => {
    expect(problemsOf({})).toEqual(
      expect.arrayContaining(['JWT_SECRET: is required', 'DATA_ENCRYPTION_KEY: is required']),
    );
  });

  it('refuses production with missing or well-known secrets', () => {
    const problems = problemsOf({
      NODE_ENV: 'production',
      JWT_SECRET: 'changeme',
      TURN_URLS: 'turn:turn.example:3478',
      DATA_ENCRYPTION_KEY: secrets.DATA_ENCRYPTION_KEY,
      AUDIT_SIGNING_KEY: secrets.AUDIT_SIGNING_KEY,
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        'JWT_SECRET: must be at least 32 characters of random data (got "changeme")',
        'TURN_SECRET: is required in production (no default secret is used there)',
        'ADMIN_EMAIL: is required in production (first admin account)',
        'DATABASE_URL: is required in production (the embedded database is for development)',
        'REDIS_URL: is required in production',
      ]),
    );
  });

  it('accepts a complete production configuration and requires MFA for clinicians there', () => {
    const config = loadConfig(
      {
        ...secrets,
        NODE_ENV: 'production',
        ADMIN_EMAIL: 'Root@Hospital.example',
        ADMIN_PASSWORD: 'a-long-admin-password',
        DATABASE_URL: 'postgres://u:p@db/hekim',
        REDIS_URL: 'redis://redis:6379',
      },
      { persistGeneratedSecrets: false },
    );
    expect(config.admin.email).toBe('root@hospital.example');
    expect(config.auth.mfaRequiredRoles).toEqual([Role.Doctor, Role.Admin, Role.ComplianceOfficer]);
    expect(config.shutdown.drainDelaySeconds).toBe(5);
    // Off by default in production: the API explorer, and metrics without a token.
    expect(config.http).toMatchObject({ docsEnabled: false, metricsEnabled: false });
  });

  it('turns /docs and /metrics on in production only when told, metrics behind their token', () => {
    const production = {
      ...secrets,
      NODE_ENV: 'production',
      ADMIN_EMAIL: 'root@hospital.example',
      ADMIN_PASSWORD: 'a-long-admin-password',
      DATABASE_URL: 'postgres://u:p@db/hekim',
      REDIS_URL: 'redis://redis:6379',
    };
    const load = (env: Record<string, string>) =>
      loadConfig({ ...production, ...env }, { persistGeneratedSecrets: false }).http;
    expect(load({ METRICS_TOKEN: randomBytes(24).toString('base64url') })).toMatchObject({
      docsEnabled: false,
      metricsEnabled: true,
    });
    expect(load({ DOCS_ENABLED: 'true', METRICS_ENABLED: 'true' })).toMatchObject({
      docsEnabled: true,
      metricsEnabled: true,
      metricsToken: undefined,
    });
    expect(loadConfig({ ...secrets }, { persistGeneratedSecrets: false }).http).toMatchObject({
      docsEnabled: true,
      metricsEnabled: true,
    });
  });

  it('parses the patient-data keys and refuses malformed or duplicate ones', () => {
    const key = (id: string) => `${id}:${randomBytes(32).toString('base64')}`;
    const config = loadConfig(
      {
        ...secrets,
        PATIENT_DATA_MASTER_KEY: key('pk-2'),
        PATIENT_DATA_PREVIOUS_MASTER_KEYS: `${key('pk-1')}, ${key('pk-0')}`,
        BREAK_GLASS_MAX_MINUTES: '60',
      },
      { persistGeneratedSecrets: false },
    );
    expect(config.patientData.masterKey.id).toBe('pk-2');
    expect(config.patientData.masterKey.key).toHaveLength(32);
    expect(config.patientData.previousMasterKeys.map((k) => k.id)).toEqual(['pk-1', 'pk-0']);
    expect(config.patientData.indexKey.length).toBeGreaterThanOrEqual(32);
    expect(config.patientData.breakGlassMaxMinutes).toBe(60);

    const problems = problemsOf({
      ...secrets,
      PATIENT_DATA_MASTER_KEY: randomBytes(32).toString('base64'),
      PATIENT_DATA_PREVIOUS_MASTER_KEYS: `${key('same')},${key('same')}`,
      PATIENT_DATA_INDEX_KEY: randomBytes(8).toString('base64'),
      BREAK_GLASS_MAX_MINUTES: '5000',
    }).join('\n');
    expect(problems).toContain(
      'PATIENT_DATA_MASTER_KEY: must be `<key id>:<base64 of 32 random bytes>`',
    );
    expect(problems).toContain('PATIENT_DATA_PREVIOUS_MASTER_KEYS: key ids must differ');
    expect(problems).toContain('PATIENT_DATA_INDEX_KEY: must be at least 32 random bytes');
    expect(problems).toContain(
      'BREAK_GLASS_MAX_MINUTES: must be a whole number of minutes from 1 to 1440',
    );
  });

  it('requires the patient-data keys in production', () => {
    const { PATIENT_DATA_MASTER_KEY: _m, PATIENT_DATA_INDEX_KEY: _i, ...others } = secrets;
    expect(problemsOf({ ...others, NODE_ENV: 'production' })).toEqual(
      expect.arrayContaining([
        'PATIENT_DATA_MASTER_KEY: is required in production (no default secret is used there)',
        'PATIENT_DATA_INDEX_KEY: is required in production (no default secret is used there)',
      ]),
    );
  });

  it('generates secrets once outside production and keeps them for the next start', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hekim-config-'));
    const first = loadConfig({ DATA_DIR: dir });
    const second = loadConfig({ DATA_DIR: dir });
    expect(second.auth.jwtSecret).toBe(first.auth.jwtSecret);
    expect(second.audit.signingKey).toBe(first.audit.signingKey);
    expect(statSync(join(dir, 'secrets.json')).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(join(dir, 'secrets.json'), 'utf8'))).toHaveProperty(
      'DATA_ENCRYPTION_KEY',
    );
  });

  it('reports a variable once, however many of its checks fail', () => {
    expect(problemsOf({ ...secrets, PORT: 'eighty' })).toEqual([
      'PORT: must be a whole number from 0 to 65535 (got "eighty")',
    ]);
  });

  it('writes nothing under DATA_DIR on a dry run, valid or not', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'hekim-config-')), 'data');
    expect(loadConfig({ DATA_DIR: dir }, { dryRun: true }).auth.jwtSecret).toBeTruthy();
    expect(() => loadConfig({ DATA_DIR: dir, PORT: '-1' }, { dryRun: true })).toThrow(ConfigError);
    expect(existsSync(dir)).toBe(false);
  });

  it('is frozen: no part of the loaded configuration can be changed', () => {
    const config = loadConfig({ ...secrets }, { persistGeneratedSecrets: false });
    expect(() => {
      config.port = 1;
    }).toThrow(TypeError);
    expect(() => {
      config.database.url = 'postgres://elsewhere/db';
    }).toThrow(TypeError);
    expect(() => config.http.corsOrigins.push('https://evil.example')).toThrow(TypeError);
    expect(() => {
      config.patientData.masterKey = { id: 'x', key: Buffer.alloc(32) };
    }).toThrow(TypeError);
    expect(config.database.url).toBeUndefined();
    expect(config.http.corsOrigins).toEqual([]);
  });

  it('gives the database found at start-up in a new frozen configuration', () => {
    const config = loadConfig({ ...secrets }, { persistGeneratedSecrets: false });
    const started = withDatabaseUrl(config, 'postgres://hekim@127.0.0.1:5433/hekim');
    expect(started.database).toMatchObject({
      mode: 'embedded',
      url: 'postgres://hekim@127.0.0.1:5433/hekim',
    });
    expect(started.auth).toBe(config.auth);
    expect(config.database.url).toBeUndefined();
    expect(Object.isFrozen(started) && Object.isFrozen(started.database)).toBe(true);
  });

  it('refuses a weak SMS gateway token in production, like the other secrets', () => {
    const production = {
      ...secrets,
      NODE_ENV: 'production',
      ADMIN_EMAIL: 'root@hospital.example',
      ADMIN_PASSWORD: 'a-long-admin-password',
      DATABASE_URL: 'postgres://u:p@db/hekim',
      REDIS_URL: 'redis://redis:6379',
      SMS_GATEWAY_URL: 'https://sms.example/send',
    };
    expect(problemsOf({ ...production, SMS_GATEWAY_TOKEN: 'gateway-token-123' })).toEqual([
      expect.stringMatching(/^SMS_GATEWAY_TOKEN: is too short for production/),
    ]);
    expect(
      problemsOf({ ...production, SMS_GATEWAY_TOKEN: 'changeme-changeme-changeme-changeme!' }),
    ).toEqual([expect.stringMatching(/^SMS_GATEWAY_TOKEN: looks like a placeholder/)]);
    // Too short for the schema: reported once, by the schema.
    expect(problemsOf({ ...production, SMS_GATEWAY_TOKEN: 'short' })).toEqual([
      'SMS_GATEWAY_TOKEN: must be at least 16 characters (got "short")',
    ]);
    const strong = randomBytes(36).toString('base64');
    expect(
      loadConfig({ ...production, SMS_GATEWAY_TOKEN: strong }, { persistGeneratedSecrets: false })
        .sms.gatewayToken,
    ).toBe(strong);
    // Outside production the schema's 16 characters are enough.
    expect(problemsOf({ ...secrets, SMS_GATEWAY_TOKEN: 'gateway-token-123' })).toEqual([]);
  });

  it('checks SMTP_CA_FILE at start-up: a readable file of PEM certificates', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hekim-config-'));
    const pem = join(dir, 'ca.pem');
    writeFileSync(pem, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const notPem = join(dir, 'ca.txt');
    writeFileSync(notPem, 'not a certificate');
    expect(
      loadConfig({ ...secrets, SMTP_CA_FILE: pem }, { persistGeneratedSecrets: false }).mail
        .smtpCaFile,
    ).toBe(pem);
    expect(problemsOf({ ...secrets, SMTP_CA_FILE: join(dir, 'missing.pem') })).toEqual([
      expect.stringMatching(/^SMTP_CA_FILE: cannot be read \(ENOENT: /),
    ]);
    expect(problemsOf({ ...secrets, SMTP_CA_FILE: notPem })).toEqual([
      `SMTP_CA_FILE: holds no PEM certificate (${notPem})`,
    ]);
  });

  it('configures SIEM forwarding from a tls:// URL, its CA, and a client certificate with its key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hekim-config-'));
    const ca = join(dir, 'ca.pem');
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const key = join(dir, 'client-key.pem');
    writeFileSync(key, '-----BEGIN EC PRIVATE KEY-----\nMHc\n-----END EC PRIVATE KEY-----\n');
    const load = (env: NodeJS.ProcessEnv) =>
      loadConfig({ ...secrets, ...env }, { persistGeneratedSecrets: false }).siem;
    expect(load({})).toBeUndefined();
    expect(load({ SIEM_SYSLOG_URL: 'tls://siem.example.org', SIEM_CA_FILE: ca })).toEqual({
      host: 'siem.example.org',
      port: 6514,
      caFile: ca,
      clientCertFile: undefined,
      clientKeyFile: undefined,
      batchRecords: 5000,
    });
    expect(
      load({
        SIEM_SYSLOG_URL: 'tls://[::1]:7514',
        SIEM_CA_FILE: ca,
        SIEM_CLIENT_CERT_FILE: ca,
        SIEM_CLIENT_KEY_FILE: key,
        SIEM_BATCH_RECORDS: '50',
      }),
    ).toMatchObject({
      host: '::1',
      port: 7514,
      clientCertFile: ca,
      clientKeyFile: key,
      batchRecords: 50,
    });
    expect(problemsOf({ ...secrets, SIEM_SYSLOG_URL: 'tls://siem.example.org:6514' })).toEqual([
      'SIEM_CA_FILE: is required with SIEM_SYSLOG_URL',
    ]);
    expect(
      problemsOf({ ...secrets, SIEM_SYSLOG_URL: 'tcp://siem.example.org:514', SIEM_CA_FILE: ca }),
    ).toEqual([expect.stringMatching(/^SIEM_SYSLOG_URL: must be a tls:\/\/host:port URL/)]);
    expect(
      problemsOf({ ...secrets, SIEM_SYSLOG_URL: 'tls://siem.example.org:70000', SIEM_CA_FILE: ca }),
    ).toEqual([expect.stringMatching(/^SIEM_SYSLOG_URL: must have a port from 1 to 65535/)]);
    expect(problemsOf({ ...secrets, SIEM_CLIENT_CERT_FILE: ca })).toEqual([
      'SIEM_CLIENT_KEY_FILE: is required with SIEM_CLIENT_CERT_FILE',
    ]);
    expect(problemsOf({ ...secrets, SIEM_CLIENT_KEY_FILE: key })).toEqual([
      'SIEM_CLIENT_CERT_FILE: is required with SIEM_CLIENT_KEY_FILE',
    ]);
    expect(problemsOf({ ...secrets, SIEM_CLIENT_CERT_FILE: ca, SIEM_CLIENT_KEY_FILE: ca })).toEqual(
      [`SIEM_CLIENT_KEY_FILE: holds no PEM private key (${ca})`],
    );
    expect(
      problemsOf({
        ...secrets,
        SIEM_CLIENT_CERT_FILE: ca,
        SIEM_CLIENT_KEY_FILE: join(dir, 'missing.pem'),
      }),
    ).toEqual([expect.stringMatching(/^SIEM_CLIENT_KEY_FILE: cannot be read \(ENOENT: /)]);
    expect(problemsOf({ ...secrets, SIEM_SYSLOG_URL: 'tls://h:1', SIEM_CA_FILE: key })).toEqual([
      `SIEM_CA_FILE: holds no PEM certificate (${key})`,
    ]);
  });

  it('turns a push platform on only when all its variables are set, and checks its key files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hekim-config-'));
    const p8 = join(dir, 'AuthKey.p8');
    writeFileSync(p8, '-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----\n');
    const account = join(dir, 'sa.json');
    writeFileSync(
      account,
      JSON.stringify({ project_id: 'p', client_email: 'e@p.iam', private_key: 'k' }),
    );
    const apns = {
      APNS_KEY_FILE: p8,
      APNS_KEY_ID: 'ABC123DEFG',
      APNS_TEAM_ID: 'TEAM123456',
      APNS_BUNDLE_ID: 'org.example.hekim',
    };
    const config = loadConfig(
      { ...secrets, ...apns, FCM_SERVICE_ACCOUNT_FILE: account },
      { persistGeneratedSecrets: false },
    );
    expect(config.push).toMatchObject({
      webPush: undefined,
      apns: {
        ...{ keyFile: p8, bundleId: 'org.example.hekim' },
        url: 'https://api.push.apple.com',
      },
      fcm: { serviceAccountFile: account, url: 'https://fcm.googleapis.com', tokenUrl: undefined },
    });
    expect(problemsOf({ ...secrets, APNS_KEY_FILE: p8, APNS_KEY_ID: 'ABC123DEFG' })).toEqual([
      'APNS_TEAM_ID: is required with APNS_KEY_FILE, APNS_KEY_ID (APNs)',
      'APNS_BUNDLE_ID: is required with APNS_KEY_FILE, APNS_KEY_ID (APNs)',
    ]);
    expect(
      problemsOf({ ...secrets, WEB_PUSH_VAPID_SUBJECT: 'mailto:ops@example.org' }),
    ).toHaveLength(2);
    expect(problemsOf({ ...secrets, ...apns, APNS_KEY_FILE: account })).toEqual([
      `APNS_KEY_FILE: holds no PEM private key (${account})`,
    ]);
    expect(problemsOf({ ...secrets, FCM_SERVICE_ACCOUNT_FILE: p8 })).toEqual([
      `FCM_SERVICE_ACCOUNT_FILE: is not a service account key (JSON with project_id, client_email, private_key) (${p8})`,
    ]);
    expect(problemsOf({ ...secrets, FCM_SERVICE_ACCOUNT_FILE: join(dir, 'none.json') })).toEqual([
      expect.stringMatching(/^FCM_SERVICE_ACCOUNT_FILE: cannot be read \(ENOENT: /),
    ]);
  });
});
