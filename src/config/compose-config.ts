import { readFileSync } from 'node:fs';
import { availableParallelism, hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { isRole, Role } from '../common/auth/role';
import { defaultPasswordHashConcurrency } from '../common/crypto/password-hasher';
import { AppConfig, type NodeEnv } from './app-config';
import type { EnvironmentVariables } from './env.schema';
import { list, parseMasterKeys } from './env-values';
import type { GivenSecrets } from './secrets';

// The second job of loading the configuration: the typed AppConfig derived from validated
// variables and the secrets in use (every problem has been reported before this runs).

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

// This server's demo page, reachable from the machine it runs on.
function defaultAppBaseUrl(host: string, port: number): string {
  const local = ['0.0.0.0', '::', ''].includes(host) ? '127.0.0.1' : host;
  return `http://${local.includes(':') ? `[${local}]` : local}:${port}/demo/`;
}

// The server's host in FHIR AuditEvents: AUDIT_SOURCE_HOST, else the public host of
// APP_BASE_URL, else this machine's name (docs/audit.md).
function auditSourceHost(env: EnvironmentVariables): string {
  if (env.AUDIT_SOURCE_HOST) return env.AUDIT_SOURCE_HOST;
  if (env.APP_BASE_URL) return new URL(env.APP_BASE_URL).hostname.replace(/^\[(.*)\]$/, '$1');
  return hostname() || 'localhost';
}

// tls://host[:port] (6514, RFC 5425's port, when left out); read-env has checked the shape
// and that SIEM_CA_FILE is given.
function siemConfig(env: EnvironmentVariables): AppConfig['siem'] {
  if (env.SIEM_SYSLOG_URL === undefined || env.SIEM_CA_FILE === undefined) return undefined;
  const url = new URL(env.SIEM_SYSLOG_URL);
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port === '' ? 6514 : Number(url.port),
    caFile: env.SIEM_CA_FILE,
    clientCertFile: env.SIEM_CLIENT_CERT_FILE,
    clientKeyFile: env.SIEM_CLIENT_KEY_FILE,
    batchRecords: env.SIEM_BATCH_RECORDS,
  };
}

export function composeConfig(
  env: EnvironmentVariables,
  secrets: GivenSecrets,
  dataDir: string,
): AppConfig {
  const nodeEnv = env.NODE_ENV as NodeEnv;
  const production = nodeEnv === 'production';
  const mfaRoles =
    env.MFA_REQUIRED_ROLES !== undefined
      ? list(env.MFA_REQUIRED_ROLES).filter(isRole)
      : production
        ? [Role.Doctor, Role.Admin, Role.ComplianceOfficer]
        : [];

  return Object.assign(new AppConfig(), {
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
      jwtSecret: secrets.JWT_SECRET as string,
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
      turnSecret: secrets.TURN_SECRET ?? '',
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
      signingKey: secrets.AUDIT_SIGNING_KEY as string,
      retentionDays: env.AUDIT_RETENTION_DAYS,
      checkpointEveryRecords: env.AUDIT_CHECKPOINT_EVERY_RECORDS,
      checkpointEveryMinutes: env.AUDIT_CHECKPOINT_EVERY_MINUTES,
      sourceHost: auditSourceHost(env),
    },
    encryption: { dataEncryptionKey: secrets.DATA_ENCRYPTION_KEY as string },
    patientData: {
      masterKey: parseMasterKeys(secrets.PATIENT_DATA_MASTER_KEY)[0],
      previousMasterKeys: parseMasterKeys(env.PATIENT_DATA_PREVIOUS_MASTER_KEYS),
      indexKey: Buffer.from(secrets.PATIENT_DATA_INDEX_KEY as string, 'base64'),
      breakGlassMaxMinutes: env.BREAK_GLASS_MAX_MINUTES,
    },
    care: { followUpDays: env.CARE_FOLLOW_UP_DAYS },
    appointments: {
      reminderMinutes: [...new Set(list(env.APPOINTMENT_REMINDER_MINUTES).map(Number))].sort(
        (a, b) => b - a,
      ),
      noShowMinutes: env.APPOINTMENT_NO_SHOW_MINUTES,
      invitationEarlyMinutes: env.INVITATION_EARLY_MINUTES,
      invitationGraceMinutes: env.INVITATION_GRACE_MINUTES,
    },
    retention: {
      sessionsDays: env.RETENTION_SESSIONS_DAYS,
      callsDays: env.RETENTION_CALLS_DAYS,
      appointmentsDays: env.RETENTION_APPOINTMENTS_DAYS,
      messagesDays: env.RETENTION_MESSAGES_DAYS,
      jobIntervalMinutes: env.RETENTION_JOB_INTERVAL_MINUTES,
    },
    alerts: {
      recordReadsPerHour: env.ALERT_RECORD_READS_PER_HOUR,
      deniedAccesses: env.ALERT_DENIED_ACCESSES,
      deniedWindowMinutes: env.ALERT_DENIED_WINDOW_MINUTES,
      exportRecords: env.ALERT_EXPORT_RECORDS,
      scanIntervalSeconds: env.ALERT_SCAN_INTERVAL_SECONDS,
    },
    processing: {
      homeCountry: env.PROCESSING_HOME_COUNTRY,
      processorCountries: Object.fromEntries(
        list(env.PROCESSOR_COUNTRIES).map((pair) => pair.split('=') as [string, string]),
      ),
    },
    chat: {
      attachmentMaxBytes: env.ATTACHMENT_MAX_BYTES,
      maxTextLength: env.CHAT_MAX_TEXT_LENGTH,
      userMessagesPerMinute: env.CHAT_USER_MESSAGES_PER_MINUTE,
      roomMessagesPerMinute: env.CHAT_ROOM_MESSAGES_PER_MINUTE,
    },
    mail: {
      smtpUrl: env.SMTP_URL,
      smtpCaFile: env.SMTP_CA_FILE,
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
    push: {
      timeoutMs: env.PUSH_TIMEOUT_MS,
      caFile: env.PUSH_CA_FILE,
      webPush:
        env.WEB_PUSH_VAPID_PUBLIC_KEY &&
        env.WEB_PUSH_VAPID_PRIVATE_KEY &&
        env.WEB_PUSH_VAPID_SUBJECT
          ? {
              publicKey: env.WEB_PUSH_VAPID_PUBLIC_KEY,
              privateKey: env.WEB_PUSH_VAPID_PRIVATE_KEY,
              subject: env.WEB_PUSH_VAPID_SUBJECT,
              allowedHosts: list(env.WEB_PUSH_ALLOWED_HOSTS).map((h) => h.toLowerCase()),
            }
          : undefined,
      apns:
        env.APNS_KEY_FILE && env.APNS_KEY_ID && env.APNS_TEAM_ID && env.APNS_BUNDLE_ID
          ? {
              keyFile: env.APNS_KEY_FILE,
              keyId: env.APNS_KEY_ID,
              teamId: env.APNS_TEAM_ID,
              bundleId: env.APNS_BUNDLE_ID,
              url: env.APNS_URL,
            }
          : undefined,
      fcm: env.FCM_SERVICE_ACCOUNT_FILE
        ? {
            serviceAccountFile: env.FCM_SERVICE_ACCOUNT_FILE,
            url: env.FCM_URL,
            tokenUrl: env.FCM_TOKEN_URL,
          }
        : undefined,
    },
    siem: siemConfig(env),
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
}
