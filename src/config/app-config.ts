import type { Role } from '../common/auth/role';

export type NodeEnv = 'development' | 'test' | 'production';

// The typed, validated configuration. It is built once by loadConfig() and injected by class;
// nothing else in the code reads process.env.
export class AppConfig {
  env!: NodeEnv;
  version!: string;
  host!: string;
  port!: number;
  dataDir!: string;
  instances!: number;
  trustProxy!: boolean;

  database!: {
    // embedded: Hekim starts its own PostgreSQL from the binaries installed by npm ci.
    mode: 'embedded' | 'server';
    url: string | undefined;
    embeddedPort: number;
    migrationsRun: boolean;
    poolSize: number;
    statementTimeoutMs: number;
  };

  redis!: {
    // Unset: in-process stores, single instance only.
    url: string | undefined;
    keyPrefix: string;
  };

  http!: {
    corsOrigins: string[];
    bodyLimitBytes: number;
    docsEnabled: boolean;
    metricsEnabled: boolean;
    metricsToken: string | undefined;
  };

  log!: {
    level: string;
  };

  shutdown!: {
    // Seconds between readiness turning false and the server closing, so load balancers notice.
    drainDelaySeconds: number;
    timeoutSeconds: number;
  };

  auth!: {
    jwtSecret: string;
    jwtIssuer: string;
    jwtAudience: string;
    accessTokenTtlSeconds: number;
    refreshTokenTtlSeconds: number;
    refreshIdleTimeoutSeconds: number;
    mfaRequiredRoles: Role[];
    loginMaxAttempts: number;
    lockoutBaseSeconds: number;
    passwordResetTtlSeconds: number;
    // Per client address and credential route.
    rateLimitPerMinute: number;
    // Password hashes computed at once by this process; the rest wait their turn.
    passwordHashConcurrency: number;
    // A self-registered account must verify its e-mail address before its first sign-in.
    emailVerificationRequired: boolean;
  };

  admin!: {
    email: string | undefined;
    password: string | undefined;
  };

  ice!: {
    stunUrls: string[];
    turnUrls: string[];
    turnSecret: string;
    turnTtlSeconds: number;
    // GET /ice-servers per user and minute.
    ratePerMinute: number;
  };

  calls!: {
    ringTimeoutSeconds: number;
    maxCallees: number;
    initiateRatePerMinute: number;
  };

  signaling!: {
    reconnectGraceSeconds: number;
    maxPayloadBytes: number;
    eventsPerSecond: number;
    // Open sockets per user across every instance; the next handshake is refused.
    maxSocketsPerUser: number;
  };

  audit!: {
    // PKCS#8 DER of an Ed25519 private key, base64.
    signingKey: string;
    retentionDays: number;
    checkpointEveryRecords: number;
    checkpointEveryMinutes: number;
    // The server's host in FHIR AuditEvents (AUDIT_SOURCE_HOST).
    sourceHost: string;
  };

  encryption!: {
    // 32 bytes, base64: the master key that wraps each person's data key.
    dataEncryptionKey: string;
  };

  patientData!: {
    // Wraps every new or re-wrapped data key; its id is stored beside each wrapped key.
    masterKey: { id: string; key: Buffer };
    // Accepted for unwrapping only, until `npm run keys:rotate` has re-wrapped everything.
    previousMasterKeys: { id: string; key: Buffer }[];
    // HMAC key of the national-id blind index.
    indexKey: Buffer;
    breakGlassMaxMinutes: number;
  };
  care!: {
    // Days a care relationship outlives its last consultation (docs/access-model.md).
    followUpDays: number;
  };

  appointments!: {
    // Reminders go this many minutes before the start, largest first (docs/appointments.md).
    reminderMinutes: number[];
    // A booked appointment nobody checked in to is a no-show this long after its start.
    noShowMinutes: number;
    // Invitation links work from this long before the start to the end plus the grace.
    invitationEarlyMinutes: number;
    invitationGraceMinutes: number;
  };

  retention!: {
    sessionsDays: number;
    callsDays: number;
    appointmentsDays: number;
    messagesDays: number;
    jobIntervalMinutes: number;
  };

  // Compliance alarms (docs/compliance.md, C17).
  alerts!: {
    recordReadsPerHour: number;
    deniedAccesses: number;
    deniedWindowMinutes: number;
    exportRecords: number;
    scanIntervalSeconds: number;
  };

  // The processing inventory (docs/compliance.md, C18).
  processing!: {
    homeCountry: string;
    // Country of each provider kind the operator declared (smtp, sms, push, webhooks, siem).
    processorCountries: Record<string, string>;
  };

  chat!: {
    attachmentMaxBytes: number;
    // Unicode code points.
    maxTextLength: number;
    userMessagesPerMinute: number;
    roomMessagesPerMinute: number;
  };

  notify!: {
    // This process runs the outbox relay (docs/notifications.md).
    relayEnabled: boolean;
    maxAttempts: number;
    retryBaseMs: number;
    retryMaxMs: number;
    // How long a claimed message is reserved for the relay that claimed it.
    leaseSeconds: number;
    pollIntervalMs: number;
    batchSize: number;
  };

  mail!: {
    // Unset: outside production, messages go to a local mailbox (DATA_DIR/mailbox).
    smtpUrl: string | undefined;
    // PEM certificates the SMTP server's certificate must chain to (SMTP_CA_FILE), else the
    // public authorities.
    smtpCaFile: string | undefined;
    from: string;
    // The base of links in messages; a query parameter carries the token.
    appBaseUrl: string;
    defaultLocale: 'tr' | 'en';
    // Serve GET /dev/mailbox: outside production and without SMTP_URL only.
    localMailbox: boolean;
  };

  webhooks!: {
    // Loopback, link-local and private targets are refused unless this is set.
    allowPrivateTargets: boolean;
    // Only https:// endpoints (production).
    httpsOnly: boolean;
    timeoutMs: number;
  };

  sms!: {
    // Unset: no SMS sender; SMS wait in the outbox.
    gatewayUrl: string | undefined;
    gatewayToken: string | undefined;
    defaultCountry: string;
  };

  // Forwarding of the audit trail to a SIEM (docs/siem.md); undefined when not configured.
  siem!:
    | {
        host: string;
        port: number;
        // PEM files, read at each connection so that a renewed certificate needs no restart.
        caFile: string;
        clientCertFile: string | undefined;
        clientKeyFile: string | undefined;
        batchRecords: number;
      }
    | undefined;

  push!: {
    timeoutMs: number;
    // PEM certificates providers' certificates must chain to (PUSH_CA_FILE), else the public
    // authorities.
    caFile: string | undefined;
    // Each platform is undefined when not configured: its devices are refused.
    webPush:
      | { publicKey: string; privateKey: string; subject: string; allowedHosts: string[] }
      | undefined;
    apns:
      { keyFile: string; keyId: string; teamId: string; bundleId: string; url: string } | undefined;
    fcm: { serviceAccountFile: string; url: string; tokenUrl: string | undefined } | undefined;
  };
}
