// Over 400 lines on purpose: one declaration per environment variable, each with its rule and
// default, as docs/configuration.md lists them.
import {
  BooleanVar,
  ChoiceVar,
  IntegerVar,
  PatternVar,
  SecretVar,
  TextVar,
  UrlVar,
} from './env-decorators';

// A patient-data master key: an id (stored beside every data key it wraps) and 32 bytes.
const KEY_ENTRY = '[A-Za-z0-9_.-]{1,32}:[A-Za-z0-9+/]{43}=';
const MASTER_KEY = new RegExp(`^${KEY_ENTRY}$`);
const MASTER_KEY_LIST = new RegExp(`^\\s*$|^${KEY_ENTRY}(\\s*,\\s*${KEY_ENTRY})*$`);
const MASTER_KEY_MESSAGE =
  'must be `<key id>:<base64 of 32 random bytes>` (key id: 1-32 of A-Z a-z 0-9 _ . -)';

const URL_LIST = /^\s*$|^\s*(stuns?|turns?):[^\s,]+(\s*,\s*(stuns?|turns?):[^\s,]+)*\s*$/;
const ROLE = '(patient|doctor|admin|compliance_officer)';
const MINUTES_LIST = /^\s*$|^\s*\d{1,5}(\s*,\s*\d{1,5})*\s*$/;

const HTTP = ['http', 'https'];

// A DNS host name (RFC 1123 labels, IPv4 literals included) or an IPv6 literal.
const HOST_LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const AUDIT_SOURCE_HOST_PATTERN = new RegExp(
  `^(?:(?=.{1,253}$)${HOST_LABEL}(?:\\.${HOST_LABEL})*|(?=.*:)[0-9A-Fa-f:.]{2,45})$`,
);

// Every variable Hekim reads. docs/configuration.md and .env.example list the same names;
// a unit test keeps the three in step.
export class EnvironmentVariables {
  @ChoiceVar(['development', 'test', 'production'])
  NODE_ENV: string = 'development';

  @TextVar({ minLength: 1, message: 'must be an interface address such as 127.0.0.1 or 0.0.0.0' })
  HOST: string = '127.0.0.1';

  @IntegerVar({ min: 0, max: 65535 })
  PORT: number = 3000;

  @TextVar({ minLength: 1, message: 'must be a directory path' })
  DATA_DIR: string = './.data';

  @IntegerVar({ min: 1 })
  INSTANCES: number = 1;

  @BooleanVar()
  TRUST_PROXY: boolean = false;

  @UrlVar({
    protocols: ['postgres', 'postgresql'],
    optional: true,
    message: 'must be a postgres:// connection URL',
  })
  DATABASE_URL?: string;

  @IntegerVar({
    min: 0,
    max: 65535,
    message: 'must be a whole number from 0 (any free port) to 65535',
  })
  EMBEDDED_DATABASE_PORT: number = 0;

  @BooleanVar()
  DATABASE_MIGRATIONS_RUN: boolean = true;

  @IntegerVar({ min: 1, max: 200 })
  DATABASE_POOL_SIZE: number = 10;

  @IntegerVar({ min: 100, unit: 'milliseconds' })
  DATABASE_STATEMENT_TIMEOUT_MS: number = 15000;

  @UrlVar({ protocols: ['redis', 'rediss'], optional: true })
  REDIS_URL?: string;

  @PatternVar(
    /^[A-Za-z0-9:_.-]{1,64}$/,
    'must be 1-64 characters of letters, digits, ":", "_", "." or "-"',
  )
  REDIS_KEY_PREFIX: string = 'hekim:';

  @PatternVar(
    /^\s*$|^https?:\/\/[^\s,]+(\s*,\s*https?:\/\/[^\s,]+)*$/,
    'must be a comma-separated list of origins such as https://app.example.org',
  )
  CORS_ORIGINS: string = '';

  @IntegerVar({ min: 1024, max: 10485760, unit: 'bytes' })
  BODY_LIMIT_BYTES: number = 131072;

  // Unset: on outside production, off in production (docs/configuration.md).
  @BooleanVar({ optional: true })
  DOCS_ENABLED?: boolean;

  // Unset: on outside production; in production only when METRICS_TOKEN protects it.
  @BooleanVar({ optional: true })
  METRICS_ENABLED?: boolean;

  @SecretVar({ minLength: 16, strengthCheckedInProduction: true })
  METRICS_TOKEN?: string;

  @ChoiceVar(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL: string = 'info';

  @IntegerVar({ min: 0, max: 120, unit: 'seconds', optional: true })
  SHUTDOWN_DRAIN_DELAY_SECONDS?: number;

  @IntegerVar({ min: 1, max: 600, unit: 'seconds' })
  SHUTDOWN_TIMEOUT_SECONDS: number = 25;

  @SecretVar({
    minLength: 32,
    message: 'must be at least 32 characters of random data',
    strengthCheckedInProduction: true,
  })
  JWT_SECRET?: string;

  @TextVar({ minLength: 1, message: 'must not be empty' })
  JWT_ISSUER: string = 'hekim';

  @TextVar({ minLength: 1, message: 'must not be empty' })
  JWT_AUDIENCE: string = 'hekim-api';

  @IntegerVar({ min: 60, max: 86400, unit: 'seconds' })
  ACCESS_TOKEN_TTL_SECONDS: number = 900;

  @IntegerVar({ min: 300, unit: 'seconds' })
  REFRESH_TOKEN_TTL_SECONDS: number = 30 * 24 * 3600;

  @IntegerVar({ min: 60, unit: 'seconds' })
  REFRESH_IDLE_TIMEOUT_SECONDS: number = 3600;

  @PatternVar(
    new RegExp(`^\\s*$|^${ROLE}(\\s*,\\s*${ROLE})*$`),
    'must be a comma-separated list of roles: patient, doctor, admin, compliance_officer',
    { optional: true },
  )
  MFA_REQUIRED_ROLES?: string;

  @IntegerVar({ min: 1, max: 100 })
  LOGIN_MAX_ATTEMPTS: number = 5;

  @IntegerVar({ min: 1, unit: 'seconds' })
  LOCKOUT_BASE_SECONDS: number = 60;

  @IntegerVar({ min: 60, max: 86400, unit: 'seconds' })
  PASSWORD_RESET_TTL_SECONDS: number = 1800;

  @IntegerVar({ min: 1, max: 10000 })
  AUTH_RATE_LIMIT_PER_MINUTE: number = 30;

  @IntegerVar({ min: 1, max: 64, optional: true })
  PASSWORD_HASH_CONCURRENCY?: number;

  @PatternVar(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, 'must be an e-mail address', { optional: true })
  ADMIN_EMAIL?: string;

  @SecretVar({ minLength: 12, maxLength: 128, message: 'must be 12 to 128 characters' })
  ADMIN_PASSWORD?: string;

  @PatternVar(URL_LIST, 'must be a comma-separated list of stun: or stuns: URLs')
  STUN_URLS: string = '';

  @PatternVar(URL_LIST, 'must be a comma-separated list of turn: or turns: URLs')
  TURN_URLS: string = '';

  @SecretVar({
    minLength: 16,
    message: 'must be at least 16 characters (coturn static-auth-secret)',
    strengthCheckedInProduction: true,
  })
  TURN_SECRET?: string;

  @IntegerVar({ min: 60, max: 3600, unit: 'seconds' })
  TURN_TTL_SECONDS: number = 900;

  @IntegerVar({ min: 1, max: 10000 })
  ICE_SERVERS_RATE_PER_MINUTE: number = 30;

  @IntegerVar({ min: 5, max: 300, unit: 'seconds' })
  CALL_RING_TIMEOUT_SECONDS: number = 30;

  // A call's room holds at most 50 people (rooms_max_participants_check): the caller + 49.
  @IntegerVar({ min: 1, max: 49 })
  CALL_MAX_CALLEES: number = 7;

  @IntegerVar({ min: 1, max: 1000 })
  CALL_INITIATE_RATE_PER_MINUTE: number = 10;

  @IntegerVar({ min: 1, max: 600, unit: 'seconds' })
  SIGNALING_RECONNECT_GRACE_SECONDS: number = 15;

  @IntegerVar({ min: 1, max: 100000 })
  SIGNALING_MAX_SOCKETS_PER_USER: number = 10;

  @IntegerVar({ min: 4096, max: 1048576, unit: 'bytes' })
  SIGNALING_MAX_PAYLOAD_BYTES: number = 65536;

  @IntegerVar({ min: 1, max: 10000 })
  SIGNALING_EVENTS_PER_SECOND: number = 50;

  // Its form is checked once the secrets are resolved (secret-checks.ts).
  @SecretVar()
  AUDIT_SIGNING_KEY?: string;

  @IntegerVar({ min: 1, unit: 'days' })
  AUDIT_RETENTION_DAYS: number = 2190;

  @IntegerVar({ min: 1, max: 1000000 })
  AUDIT_CHECKPOINT_EVERY_RECORDS: number = 1000;

  @IntegerVar({ min: 1, max: 1440, unit: 'minutes' })
  AUDIT_CHECKPOINT_EVERY_MINUTES: number = 15;

  // The server's network address in FHIR AuditEvents (docs/audit.md, "IHE BALP"): a host name
  // or an IP literal. Unset: the host of APP_BASE_URL when set, else this machine's host name.
  @PatternVar(AUDIT_SOURCE_HOST_PATTERN, 'must be a host name or an IP address literal', {
    optional: true,
  })
  AUDIT_SOURCE_HOST?: string;

  @SecretVar()
  DATA_ENCRYPTION_KEY?: string;

  // `<key id>:<base64 of 32 random bytes>`; wraps each patient's data key (docs/patient-data.md).
  @PatternVar(MASTER_KEY, MASTER_KEY_MESSAGE, { optional: true })
  PATIENT_DATA_MASTER_KEY?: string;

  // Retired master keys, comma-separated, still accepted for unwrapping until
  // `npm run keys:rotate` has re-wrapped every data key under the current one.
  @PatternVar(
    MASTER_KEY_LIST,
    `must be a comma-separated list of keys, each ${MASTER_KEY_MESSAGE.replace('must be ', '')}`,
    { optional: true },
  )
  PATIENT_DATA_PREVIOUS_MASTER_KEYS?: string;

  // HMAC-SHA256 key of the national-id blind index (base64, at least 32 bytes).
  @SecretVar()
  PATIENT_DATA_INDEX_KEY?: string;

  @IntegerVar({ min: 1, max: 1440, unit: 'minutes' })
  BREAK_GLASS_MAX_MINUTES: number = 240;

  // How long a care relationship lasts after its last consultation (docs/access-model.md).
  @IntegerVar({ min: 0, max: 3650, unit: 'days' })
  CARE_FOLLOW_UP_DAYS: number = 30;

  // Appointments (docs/appointments.md): reminders before the start, and when a patient who
  // never checked in counts as not having come.
  @PatternVar(
    MINUTES_LIST,
    'must be a comma-separated list of minutes before the start, e.g. 1440,15',
  )
  APPOINTMENT_REMINDER_MINUTES: string = '1440,15';

  @IntegerVar({ min: 1, max: 1440, unit: 'minutes' })
  APPOINTMENT_NO_SHOW_MINUTES: number = 15;

  // Invitation links (docs/appointments.md, "Invitations"): redeemable from this long before
  // the start (check-in opens then too) until the end plus the grace.
  @IntegerVar({ min: 0, max: 1440, unit: 'minutes' })
  INVITATION_EARLY_MINUTES: number = 15;

  @IntegerVar({ min: 0, max: 1440, unit: 'minutes' })
  INVITATION_GRACE_MINUTES: number = 30;

  // Retention (docs/compliance.md): how long ended sessions and calls keep who took part.
  @IntegerVar({ min: 1, max: 36500, unit: 'days' })
  RETENTION_SESSIONS_DAYS: number = 3650;

  @IntegerVar({ min: 1, max: 36500, unit: 'days' })
  RETENTION_CALLS_DAYS: number = 3650;

  // Completed, cancelled and missed appointments whose end is older than this are destroyed.
  @IntegerVar({ min: 1, max: 36500, unit: 'days' })
  RETENTION_APPOINTMENTS_DAYS: number = 3650;

  @IntegerVar({ min: 1, max: 10080, unit: 'minutes' })
  RETENTION_JOB_INTERVAL_MINUTES: number = 60;

  // Compliance alarms (docs/compliance.md, C17): a doctor reading more patients' records in an
  // hour, an account refused this many times in the window, a trail export of more records.
  @IntegerVar({ min: 1, max: 1000000 })
  ALERT_RECORD_READS_PER_HOUR: number = 50;

  @IntegerVar({ min: 1, max: 1000000 })
  ALERT_DENIED_ACCESSES: number = 10;

  @IntegerVar({ min: 1, max: 1440, unit: 'minutes' })
  ALERT_DENIED_WINDOW_MINUTES: number = 15;

  @IntegerVar({ min: 1, max: 1000000000 })
  ALERT_EXPORT_RECORDS: number = 10000;

  // How often the alarms read the new audit records (one instance at a time).
  @IntegerVar({ min: 1, max: 3600, unit: 'seconds' })
  ALERT_SCAN_INTERVAL_SECONDS: number = 15;

  // The processing inventory (docs/compliance.md, C18): the controller's country, and the
  // country of each configured provider, e.g. `smtp=TR,sms=TR,webhooks=DE,siem=TR`.
  @PatternVar(/^[A-Z]{2}$/, 'must be a two-letter country code such as TR')
  PROCESSING_HOME_COUNTRY: string = 'TR';

  @PatternVar(
    /^$|^(smtp|sms|push|webhooks|siem)=[A-Z]{2}(,(smtp|sms|push|webhooks|siem)=[A-Z]{2})*$/,
    'must be a comma-separated list of provider=country, e.g. smtp=TR,webhooks=DE',
  )
  PROCESSOR_COUNTRIES: string = '';
  // Consultation chat (docs/chat.md): messages and files older than this are destroyed.
  @IntegerVar({ min: 1, max: 36500, unit: 'days' })
  RETENTION_MESSAGES_DAYS: number = 3650;

  // Consultation chat (docs/chat.md): file size, text length and sending rates.
  @IntegerVar({ min: 1024, max: 52428800, unit: 'bytes' })
  ATTACHMENT_MAX_BYTES: number = 10485760;

  @IntegerVar({ min: 1, max: 20000 })
  CHAT_MAX_TEXT_LENGTH: number = 4000;

  @IntegerVar({ min: 1, max: 1000000 })
  CHAT_USER_MESSAGES_PER_MINUTE: number = 60;

  @IntegerVar({ min: 1, max: 1000000 })
  CHAT_ROOM_MESSAGES_PER_MINUTE: number = 300;

  // Notifications (docs/notifications.md): the outbox relay.
  @BooleanVar()
  NOTIFY_RELAY_ENABLED: boolean = true;

  @IntegerVar({ min: 1, max: 50 })
  NOTIFY_MAX_ATTEMPTS: number = 8;

  @IntegerVar({ min: 10, max: 3600000, unit: 'milliseconds' })
  NOTIFY_RETRY_BASE_MS: number = 15000;

  @IntegerVar({ min: 10, max: 86400000, unit: 'milliseconds' })
  NOTIFY_RETRY_MAX_MS: number = 3600000;

  @IntegerVar({ min: 2, max: 3600, unit: 'seconds' })
  NOTIFY_LEASE_SECONDS: number = 60;

  @IntegerVar({ min: 20, max: 60000, unit: 'milliseconds' })
  NOTIFY_POLL_INTERVAL_MS: number = 1000;

  @IntegerVar({ min: 1, max: 500 })
  NOTIFY_BATCH_SIZE: number = 20;

  // E-mail (docs/notifications.md). Unset outside production: mail goes to DATA_DIR/mailbox.
  @UrlVar({
    protocols: ['smtp', 'smtps'],
    optional: true,
    message: 'must be an smtp:// (STARTTLS when offered) or smtps:// (TLS) URL',
  })
  SMTP_URL?: string;

  // PEM certificates that SMTP servers' certificates must chain to, instead of the public
  // authorities (a private CA). Unset: the public authorities Node.js trusts.
  @TextVar({ optional: true, minLength: 1, message: 'must be the path of a PEM file' })
  SMTP_CA_FILE?: string;

  @TextVar({
    minLength: 3,
    maxLength: 254,
    message: 'must be an address such as "Hekim <no-reply@example.org>"',
    maxMessage: 'must be at most 254 characters',
  })
  MAIL_FROM: string = 'Hekim <no-reply@hekim.invalid>';

  // Links in messages: `<APP_BASE_URL>?reset=<token>` and so on. Unset: this server's /demo/.
  @UrlVar({ protocols: HTTP, optional: true })
  APP_BASE_URL?: string;

  @ChoiceVar(['tr', 'en'], { optional: true })
  NOTIFY_DEFAULT_LOCALE?: string;

  // Unset: required in production, off elsewhere (docs/auth.md).
  @ChoiceVar(['required', 'off'], { optional: true })
  AUTH_EMAIL_VERIFICATION?: string;

  // Webhooks (docs/notifications.md): SSRF guard and the wait for an endpoint's answer.
  @BooleanVar()
  WEBHOOK_ALLOW_PRIVATE_TARGETS: boolean = false;

  @IntegerVar({ min: 100, max: 30000, unit: 'milliseconds' })
  WEBHOOK_TIMEOUT_MS: number = 5000;

  // SMS through an HTTP gateway (docs/notifications.md). Unset: SMS wait in the outbox.
  @UrlVar({ protocols: HTTP, optional: true })
  SMS_GATEWAY_URL?: string;

  @SecretVar({ minLength: 16, strengthCheckedInProduction: true })
  SMS_GATEWAY_TOKEN?: string;

  // ISO 3166 country of phone numbers written without a country code.
  @PatternVar(/^[A-Z]{2}$/, 'must be a two-letter country code such as TR')
  SMS_DEFAULT_COUNTRY: string = 'TR';

  // Push to devices (docs/notifications.md#push). A platform is on when its credentials are
  // set; its provider's URL can point elsewhere (a test server, an egress proxy).
  @IntegerVar({ min: 1000, max: 30000, unit: 'milliseconds' })
  PUSH_TIMEOUT_MS: number = 10000;

  // PEM certificates push providers' certificates must chain to, instead of the public
  // authorities (an inspecting egress proxy, tests). Unset: the public authorities.
  @TextVar({ optional: true, minLength: 1, message: 'must be the path of a PEM file' })
  PUSH_CA_FILE?: string;

  // Web Push: the VAPID key pair (`npx web-push generate-vapid-keys`) and a contact URL.
  @PatternVar(/^[A-Za-z0-9_-]{87}$/, 'must be a P-256 public key in base64url (87 characters)', {
    optional: true,
  })
  WEB_PUSH_VAPID_PUBLIC_KEY?: string;

  @SecretVar({
    minLength: 43,
    maxLength: 43,
    message: 'must be 32 bytes in base64url (43 characters)',
  })
  WEB_PUSH_VAPID_PRIVATE_KEY?: string;

  @PatternVar(/^(mailto:\S+@\S+|https:\/\/\S+)$/, 'must be a mailto: address or an https:// URL', {
    optional: true,
  })
  WEB_PUSH_VAPID_SUBJECT?: string;

  // Hosts (and their subdomains) a browser's push endpoint may be on, comma-separated.
  @PatternVar(
    /^\s*[A-Za-z0-9.-]+(\s*,\s*[A-Za-z0-9.-]+)*\s*$/,
    'must be a comma-separated list of host names',
  )
  WEB_PUSH_ALLOWED_HOSTS: string =
    'fcm.googleapis.com,updates.push.services.mozilla.com,push.services.mozilla.com,web.push.apple.com,notify.windows.com';

  // APNs with token-based authentication: the .p8 signing key and its ids.
  @TextVar({ optional: true, minLength: 1, message: 'must be the path of a .p8 (PEM) key file' })
  APNS_KEY_FILE?: string;

  @PatternVar(/^[A-Z0-9]{10}$/, 'must be the 10-character key id', { optional: true })
  APNS_KEY_ID?: string;

  @PatternVar(/^[A-Z0-9]{10}$/, 'must be the 10-character team id', { optional: true })
  APNS_TEAM_ID?: string;

  @PatternVar(
    /^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/,
    'must be a bundle id such as org.example.hekim',
    {
      optional: true,
    },
  )
  APNS_BUNDLE_ID?: string;

  @UrlVar({ protocols: ['https'] })
  APNS_URL: string = 'https://api.push.apple.com';

  // FCM HTTP v1: a service account's JSON key file.
  @TextVar({ optional: true, minLength: 1, message: 'must be the path of a JSON key file' })
  FCM_SERVICE_ACCOUNT_FILE?: string;

  @UrlVar({ protocols: ['https'] })
  FCM_URL: string = 'https://fcm.googleapis.com';

  // Unset: the key file's `token_uri`.
  @UrlVar({ protocols: ['https'], optional: true })
  FCM_TOKEN_URL?: string;

  // SIEM forwarding of the audit trail (docs/siem.md): RFC 5424 syslog over TLS (RFC 5425).
  // Unset: nothing is forwarded.
  @PatternVar(
    /^tls:\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?\/?$/,
    'must be a tls://host:port URL such as tls://siem.example.org:6514',
    { optional: true },
  )
  SIEM_SYSLOG_URL?: string;

  // PEM certificates the collector's certificate must chain to; required with SIEM_SYSLOG_URL.
  @TextVar({ optional: true, minLength: 1, message: 'must be the path of a PEM file' })
  SIEM_CA_FILE?: string;

  // A client certificate and its key, for a collector that asks for mutual TLS (both or none).
  @TextVar({ optional: true, minLength: 1, message: 'must be the path of a PEM file' })
  SIEM_CLIENT_CERT_FILE?: string;

  @TextVar({ optional: true, minLength: 1, message: 'must be the path of a PEM key file' })
  SIEM_CLIENT_KEY_FILE?: string;

  // Records sent per TLS session (read and written in pages of 500); the cursor moves once per
  // confirmed session, so a crash can make the collector receive twice at most twice this many.
  @IntegerVar({ min: 1, max: 10000 })
  SIEM_BATCH_RECORDS: number = 5000;
}

// Every name the schema knows (optional fields are own properties too, as class fields are
// defined even when left undefined).
export const ENV_NAMES: readonly string[] = Object.keys(new EnvironmentVariables());
