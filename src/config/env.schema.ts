import { Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';

// Environment strings become typed values here, once; a value that does not parse stays a
// string so that the validator names it.
const toInt = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : value;

const toBool = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  return value;
};

const trimmed = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.trim() : value;

// A patient-data master key: an id (stored beside every data key it wraps) and 32 bytes.
const KEY_ENTRY = '[A-Za-z0-9_.-]{1,32}:[A-Za-z0-9+/]{43}=';
const MASTER_KEY = new RegExp(`^${KEY_ENTRY}$`);
const MASTER_KEY_LIST = new RegExp(`^\\s*$|^${KEY_ENTRY}(\\s*,\\s*${KEY_ENTRY})*$`);
const MASTER_KEY_MESSAGE =
  'must be `<key id>:<base64 of 32 random bytes>` (key id: 1-32 of A-Z a-z 0-9 _ . -)';

const URL_LIST = /^\s*$|^\s*(stuns?|turns?):[^\s,]+(\s*,\s*(stuns?|turns?):[^\s,]+)*\s*$/;

// Every variable Hekim reads. docs/configuration.md and .env.example list the same names;
// a unit test keeps the three in step.
export class EnvironmentVariables {
  @IsIn(['development', 'test', 'production'], {
    message: 'must be one of development, test, production',
  })
  NODE_ENV: string = 'development';

  @Transform(trimmed)
  @IsString()
  @MinLength(1, { message: 'must be an interface address such as 127.0.0.1 or 0.0.0.0' })
  HOST: string = '127.0.0.1';

  @Transform(toInt)
  @IsInt({ message: 'must be a whole number from 0 to 65535' })
  @Min(0, { message: 'must be a whole number from 0 to 65535' })
  @Max(65535, { message: 'must be a whole number from 0 to 65535' })
  PORT: number = 3000;

  @Transform(trimmed)
  @IsString()
  @MinLength(1, { message: 'must be a directory path' })
  DATA_DIR: string = './.data';

  @Transform(toInt)
  @IsInt({ message: 'must be a whole number of at least 1' })
  @Min(1, { message: 'must be a whole number of at least 1' })
  INSTANCES: number = 1;

  @Transform(toBool)
  @IsBoolean({ message: 'must be true or false' })
  TRUST_PROXY: boolean = false;

  @IsOptional()
  @Transform(trimmed)
  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'must be a postgres:// connection URL' })
  DATABASE_URL?: string;

  @Transform(toInt)
  @IsInt({ message: 'must be a whole number from 0 (any free port) to 65535' })
  @Min(0, { message: 'must be a whole number from 0 (any free port) to 65535' })
  @Max(65535, { message: 'must be a whole number from 0 (any free port) to 65535' })
  EMBEDDED_DATABASE_PORT: number = 0;

  @Transform(toBool)
  @IsBoolean({ message: 'must be true or false' })
  DATABASE_MIGRATIONS_RUN: boolean = true;

  @Transform(toInt)
  @IsInt({ message: 'must be a whole number from 1 to 200' })
  @Min(1, { message: 'must be a whole number from 1 to 200' })
  @Max(200, { message: 'must be a whole number from 1 to 200' })
  DATABASE_POOL_SIZE: number = 10;

  @Transform(toInt)
  @IsInt({ message: 'must be a whole number of milliseconds, at least 100' })
  @Min(100, { message: 'must be a whole number of milliseconds, at least 100' })
  DATABASE_STATEMENT_TIMEOUT_MS: number = 15000;

  @IsOptional()
  @Transform(trimmed)
  @Matches(/^rediss?:\/\/\S+$/, { message: 'must be a redis:// or rediss:// URL' })
  REDIS_URL?: string;

  @Transform(trimmed)
  @Matches(/^[A-Za-z0-9:_.-]{1,64}$/, {
    message: 'must be 1-64 characters of letters, digits, ":", "_", "." or "-"',
  })
  REDIS_KEY_PREFIX: string = 'hekim:';

  @Transform(trimmed)
  @Matches(/^\s*$|^https?:\/\/[^\s,]+(\s*,\s*https?:\/\/[^\s,]+)*$/, {
    message: 'must be a comma-separated list of origins such as https://app.example.org',
  })
  CORS_ORIGINS: string = '';

  @Transform(toInt)
  @IsInt({ message: 'must be a whole number of bytes from 1024 to 10485760' })
  @Min(1024, { message: 'must be a whole number of bytes from 1024 to 10485760' })
  @Max(10485760, { message: 'must be a whole number of bytes from 1024 to 10485760' })
  BODY_LIMIT_BYTES: number = 131072;

  // Unset: on outside production, off in production (docs/configuration.md).
  @IsOptional()
  @Transform(toBool)
  @IsBoolean({ message: 'must be true or false' })
  DOCS_ENABLED?: boolean;

  // Unset: on outside production; in production only when METRICS_TOKEN protects it.
  @IsOptional()
  @Transform(toBool)
  @IsBoolean({ message: 'must be true or false' })
  METRICS_ENABLED?: boolean;

  @IsOptional()
  @IsString()
  @MinLength(16, { message: 'must be at least 16 characters' })
  METRICS_TOKEN?: string;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
    message: 'must be one of fatal, error, warn, info, debug, trace, silent',
  })
  LOG_LEVEL: string = 'info';

  @IsOptional()
  @Transform(toInt)
  @IsInt({ message: 'must be a whole number of seconds from 0 to 120' })
  @Min(0, { message: 'must be a whole number of seconds from 0 to 120' })
  @Max(120, { message: 'must be a whole number of seconds from 0 to 120' })
  SHUTDOWN_DRAIN_DELAY_SECONDS?: number;

  @Transform(toInt)
  @IsInt({ message: 'must be a whole number of seconds from 1 to 600' })
  @Min(1, { message: 'must be a whole number of seconds from 1 to 600' })
  @Max(600, { message: 'must be a whole number of seconds from 1 to 600' })
  SHUTDOWN_TIMEOUT_SECONDS: number = 25;

  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'must be at least 32 characters of random data' })
  JWT_SECRET?: string;

  @Transform(trimmed)
  @IsString()
  @MinLength(1, { message: 'must not be empty' })
  JWT_ISSUER: string = 'hekim';

  @Transform(trimmed)
  @IsString()
  @MinLength(1, { message: 'must not be empty' })
  JWT_AUDIENCE: string = 'hekim-api';

  @Transform(toInt)
  @IsInt({ message: 'must be a whole number of seconds from 60 to 86400' })
  @Min(60, { message: 'must be a whole number of seconds from 60 to 86400' })
  @Max(86400, { message: 'must be a whole number of seconds from 60 to 86400' })
  ACCESS_TOKEN_TTL_SECONDS: number = 900;

  @Transform(toInt)
  @IsInt({ message: 'must be a whole number of seconds, at least 300' })
  @Min(300, { message: 'must be a whole number of seconds, at least 300' })
  REFRESH_TOKEN_TTL_SECONDS: number = 30 * 24 * 3600;

  @Transform(toInt)
  @IsInt({ message: 'must be a whole number of seconds, at least 60' })
  @Min(60, { message: 'must be a whole number of seconds, at least 60' })
  REFRESH_IDLE_TIMEOUT_SECONDS: number = 3600;

  @IsOptional()
  @Transform(trimmed)
  @Matches(
    /^\s*$|^(patient|doctor|admin|compliance_officer)(\s*,\s*(patient|doctor|admin|compliance_officer))*$/,
    {
      message:
        'must be a comma-separated list of roles: patient, doctor, admin, compliance_officer',
    },
  )
  MFA_REQUIRED_ROLES?: string;

  @Transform(toInt)
  @IsInt({ message: 'must be a whole number from 1 to 100' })
  @Min(1, { message: 'must be a whole number from 1 to 100' })
  @Max(100, { message: 'must be a whole number from 1 to 100' })
  LOGIN_MAX_ATTEMPTS: number = 5;

  @Transform(toInt)
  @IsInt({ message: 'must be a whole number of seconds, at least 1' })
  @Min(1, { message: 'must be a whole number of seconds, at least 1' })
  LOCKOUT_BASE_SECONDS: number = 60;

  @Transform(toInt)
  @IsInt({ message: 'must be a whole number of seconds from 60 to 86400' })
  @Min(60, { message: 'must be a whole number of seconds from 60 to 86400' })
  @Max(86400, { message: 'must be a whole number of seconds from 60 to 86400' })
  PASSWORD_RESET_TTL_SECONDS: number = 1800;

  @Transform(toInt)
  @IsInt({ message: 'must be a whole number from 1 to 10000' })
  @Min(1, { message: 'must be a whole number from 1 to 10000' })
  @Max(10000, { message: 'must be a whole number from 1 to 10000' })
  AUTH_RATE_LIMIT_PER_MINUTE: number = 30;

  @IsOptional()
  @Transform(toInt)
  @IsInt({ message: 'must be a whole number from 1 to 64' })
  @Min(1, { message: 'must be a whole number from 1 to 64' })
  @Max(64, { message: 'must be a whole number from 1 to 64' })
  PASSWORD_HASH_CONCURRENCY?: number;

  @IsOptional()
  @Transform(trimmed)
  @Matches(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, { message: 'must be an e-mail address' })
  ADMIN_EMAIL?: string;

  @IsOptional()
  @IsString()
  @MinLength(12, { message: 'must be 12 to 128 characters' })
  @MaxLength(128, { message: 'must be 12 to 128 characters' })
  ADMIN_PASSWORD?: string;

  @Matches(URL_LIST, { message: 'must be a comma-separated list of stun: or stuns: URLs' })
  STUN_URLS: string = '';

  @Matches(URL_LIST, { message: 'must be a comma-separated list of turn: or turns: URLs' })
  TURN_URLS: string = '';

  @IsOptional()
  @IsString()
  @MinLength(16, { message: 'must be at least 16 characters (coturn static-auth-secret)' })
  TURN_SECRET?: string;

  @Transform(toInt)
  @IsInt({ message: 'must be a whole number of seconds from 60 to 3600' })
  @Min(60, { message: 'must be a whole number of seconds from 60 to 3600' })
  @Max(3600, { message: 'must be a whole number of seconds from 60 to 3600' })
  TURN_TTL_SECONDS: number = 900;

  @Transform(toInt)
  @IsInt({ message: 'must be a whole number from 1 to 10000' })
  @Min(1, { message: 'must be a whole number from 1 to 10000' })
  @Max(10000, { message: 'must be a whole number from 1 to 10000' })
  ICE_SERVERS_RATE_PER_MINUTE: number = 30;

  @Transform(toInt)
  @IsInt({ message: 'must be a whole number of seconds from 5 to 300' })
  @Min(5, { message: 'must be a whole number of seconds from 5 to 300' })
  @Max(300, { message: 'must be a whole number of seconds from 5 to 300' })
  CALL_RING_TIMEOUT_SECONDS: number = 30;

  // A call's room holds at most 50 people (rooms_max_participants_check): the caller + 49.
  @Transform(toInt)
  @IsInt({ message: 'must be a whole number from 1 to 49' })
  @Min(1, { message: 'must be a whole number from 1 to 49' })
  @Max(49, { message: 'must be a whole number from 1 to 49' })
  CALL_MAX_CALLEES: number = 7;

  @Transform(toInt)
  @IsInt({ message: 'must be a whole number from 1 to 1000' })
  @Min(1, { message: 'must be a whole number from 1 to 1000' })
  @Max(1000, { message: 'must be a whole number from 1 to 1000' })
  CALL_INITIATE_RATE_PER_MINUTE: number = 10;

  @Transform(toInt)
  @IsInt({ message: 'must be a whole number of seconds from 1 to 600' })
  @Min(1, { message: 'must be a whole number of seconds from 1 to 600' })
  @Max(600, { message: 'must be a whole number of seconds from 1 to 600' })
  SIGNALING_RECONNECT_GRACE_SECONDS: number = 15;

  @Transform(toInt)
  @IsInt({ message: 'must be a whole number from 1 to 100000' })
  @Min(1, { message: 'must be a whole number from 1 to 100000' })
  @Max(100000, { message: 'must be a whole number from 1 to 100000' })
  SIGNALING_MAX_SOCKETS_PER_USER: number = 10;

  @Transform(toInt)
  @IsInt({ message: 'must be a whole number of bytes from 4096 to 1048576' })
  @Min(4096, { message: 'must be a whole number of bytes from 4096 to 1048576' })
  @Max(1048576, { message: 'must be a whole number of bytes from 4096 to 1048576' })
  SIGNALING_MAX_PAYLOAD_BYTES: number = 65536;

  @Transform(toInt)
  @IsInt({ message: 'must be a whole number from 1 to 10000' })
  @Min(1, { message: 'must be a whole number from 1 to 10000' })
  @Max(10000, { message: 'must be a whole number from 1 to 10000' })
  SIGNALING_EVENTS_PER_SECOND: number = 50;

  @IsOptional()
  @IsString()
  AUDIT_SIGNING_KEY?: string;

  @Transform(toInt)
  @IsInt({ message: 'must be a whole number of days, at least 1' })
  @Min(1, { message: 'must be a whole number of days, at least 1' })
  AUDIT_RETENTION_DAYS: number = 2190;

  @Transform(toInt)
  @IsInt({ message: 'must be a whole number from 1 to 1000000' })
  @Min(1, { message: 'must be a whole number from 1 to 1000000' })
  @Max(1000000, { message: 'must be a whole number from 1 to 1000000' })
  AUDIT_CHECKPOINT_EVERY_RECORDS: number = 1000;

  @Transform(toInt)
  @IsInt({ message: 'must be a whole number of minutes from 1 to 1440' })
  @Min(1, { message: 'must be a whole number of minutes from 1 to 1440' })
  @Max(1440, { message: 'must be a whole number of minutes from 1 to 1440' })
  AUDIT_CHECKPOINT_EVERY_MINUTES: number = 15;

  @IsOptional()
  @IsString()
  DATA_ENCRYPTION_KEY?: string;

  // `<key id>:<base64 of 32 random bytes>`; wraps each patient's data key (docs/patient-data.md).
  @IsOptional()
  @Transform(trimmed)
  @Matches(MASTER_KEY, { message: MASTER_KEY_MESSAGE })
  PATIENT_DATA_MASTER_KEY?: string;

  // Retired master keys, comma-separated, still accepted for unwrapping until
  // `npm run keys:rotate` has re-wrapped every data key under the current one.
  @IsOptional()
  @Transform(trimmed)
  @Matches(MASTER_KEY_LIST, {
    message: `must be a comma-separated list of keys, each ${MASTER_KEY_MESSAGE.replace('must be ', '')}`,
  })
  PATIENT_DATA_PREVIOUS_MASTER_KEYS?: string;

  // HMAC-SHA256 key of the national-id blind index (base64, at least 32 bytes).
  @IsOptional()
  @IsString()
  PATIENT_DATA_INDEX_KEY?: string;

  @Transform(toInt)
  @IsInt({ message: 'must be a whole number of minutes from 1 to 1440' })
  @Min(1, { message: 'must be a whole number of minutes from 1 to 1440' })
  @Max(1440, { message: 'must be a whole number of minutes from 1 to 1440' })
  BREAK_GLASS_MAX_MINUTES: number = 240;

  // How long a care relationship lasts after its last consultation (docs/access-model.md).
  @Transform(toInt)
  @IsInt({ message: 'must be a whole number of days from 0 to 3650' })
  @Min(0, { message: 'must be a whole number of days from 0 to 3650' })
  @Max(3650, { message: 'must be a whole number of days from 0 to 3650' })
  CARE_FOLLOW_UP_DAYS: number = 30;

  // Retention (docs/compliance.md): how long ended sessions and calls keep who took part.
  @Transform(toInt)
  @IsInt({ message: 'must be a whole number of days from 1 to 36500' })
  @Min(1, { message: 'must be a whole number of days from 1 to 36500' })
  @Max(36500, { message: 'must be a whole number of days from 1 to 36500' })
  RETENTION_SESSIONS_DAYS: number = 3650;

  @Transform(toInt)
  @IsInt({ message: 'must be a whole number of days from 1 to 36500' })
  @Min(1, { message: 'must be a whole number of days from 1 to 36500' })
  @Max(36500, { message: 'must be a whole number of days from 1 to 36500' })
  RETENTION_CALLS_DAYS: number = 3650;

  @Transform(toInt)
  @IsInt({ message: 'must be a whole number of minutes from 1 to 10080' })
  @Min(1, { message: 'must be a whole number of minutes from 1 to 10080' })
  @Max(10080, { message: 'must be a whole number of minutes from 1 to 10080' })
  RETENTION_JOB_INTERVAL_MINUTES: number = 60;

  // Notifications (docs/notifications.md): the outbox relay.
  @Transform(toBool)
  @IsBoolean({ message: 'must be true or false' })
  NOTIFY_RELAY_ENABLED: boolean = true;

  @Transform(toInt)
  @IsInt({ message: 'must be a whole number from 1 to 50' })
  @Min(1, { message: 'must be a whole number from 1 to 50' })
  @Max(50, { message: 'must be a whole number from 1 to 50' })
  NOTIFY_MAX_ATTEMPTS: number = 8;

  @Transform(toInt)
  @IsInt({ message: 'must be a whole number of milliseconds from 10 to 3600000' })
  @Min(10, { message: 'must be a whole number of milliseconds from 10 to 3600000' })
  @Max(3600000, { message: 'must be a whole number of milliseconds from 10 to 3600000' })
  NOTIFY_RETRY_BASE_MS: number = 15000;

  @Transform(toInt)
  @IsInt({ message: 'must be a whole number of milliseconds from 10 to 86400000' })
  @Min(10, { message: 'must be a whole number of milliseconds from 10 to 86400000' })
  @Max(86400000, { message: 'must be a whole number of milliseconds from 10 to 86400000' })
  NOTIFY_RETRY_MAX_MS: number = 3600000;

  @Transform(toInt)
  @IsInt({ message: 'must be a whole number of seconds from 2 to 3600' })
  @Min(2, { message: 'must be a whole number of seconds from 2 to 3600' })
  @Max(3600, { message: 'must be a whole number of seconds from 2 to 3600' })
  NOTIFY_LEASE_SECONDS: number = 60;

  @Transform(toInt)
  @IsInt({ message: 'must be a whole number of milliseconds from 20 to 60000' })
  @Min(20, { message: 'must be a whole number of milliseconds from 20 to 60000' })
  @Max(60000, { message: 'must be a whole number of milliseconds from 20 to 60000' })
  NOTIFY_POLL_INTERVAL_MS: number = 1000;

  @Transform(toInt)
  @IsInt({ message: 'must be a whole number from 1 to 500' })
  @Min(1, { message: 'must be a whole number from 1 to 500' })
  @Max(500, { message: 'must be a whole number from 1 to 500' })
  NOTIFY_BATCH_SIZE: number = 20;

  // E-mail (docs/notifications.md). Unset outside production: mail goes to DATA_DIR/mailbox.
  @IsOptional()
  @Transform(trimmed)
  @Matches(/^smtps?:\/\/\S+$/, {
    message: 'must be an smtp:// (STARTTLS when offered) or smtps:// (TLS) URL',
  })
  SMTP_URL?: string;

  @Transform(trimmed)
  @IsString()
  @MinLength(3, { message: 'must be an address such as "Hekim <no-reply@example.org>"' })
  @MaxLength(254, { message: 'must be at most 254 characters' })
  MAIL_FROM: string = 'Hekim <no-reply@hekim.invalid>';

  // Links in messages: `<APP_BASE_URL>?reset=<token>` and so on. Unset: this server's /demo/.
  @IsOptional()
  @Transform(trimmed)
  @Matches(/^https?:\/\/\S+$/, { message: 'must be an http:// or https:// URL' })
  APP_BASE_URL?: string;

  @IsOptional()
  @IsIn(['tr', 'en'], { message: 'must be tr or en' })
  NOTIFY_DEFAULT_LOCALE?: string;

  // Unset: required in production, off elsewhere (docs/auth.md).
  @IsOptional()
  @IsIn(['required', 'off'], { message: 'must be required or off' })
  AUTH_EMAIL_VERIFICATION?: string;

  // Webhooks (docs/notifications.md): SSRF guard and the wait for an endpoint's answer.
  @Transform(toBool)
  @IsBoolean({ message: 'must be true or false' })
  WEBHOOK_ALLOW_PRIVATE_TARGETS: boolean = false;

  @Transform(toInt)
  @IsInt({ message: 'must be a whole number of milliseconds from 100 to 30000' })
  @Min(100, { message: 'must be a whole number of milliseconds from 100 to 30000' })
  @Max(30000, { message: 'must be a whole number of milliseconds from 100 to 30000' })
  WEBHOOK_TIMEOUT_MS: number = 5000;

  // SMS through an HTTP gateway (docs/notifications.md). Unset: SMS wait in the outbox.
  @IsOptional()
  @Transform(trimmed)
  @Matches(/^https?:\/\/\S+$/, { message: 'must be an http:// or https:// URL' })
  SMS_GATEWAY_URL?: string;

  @IsOptional()
  @IsString()
  @MinLength(16, { message: 'must be at least 16 characters' })
  SMS_GATEWAY_TOKEN?: string;

  // ISO 3166 country of phone numbers written without a country code.
  @Transform(trimmed)
  @Matches(/^[A-Z]{2}$/, { message: 'must be a two-letter country code such as TR' })
  SMS_DEFAULT_COUNTRY: string = 'TR';
}

// Every name the schema knows (optional fields are own properties too, as class fields are
// defined even when left undefined).
export const ENV_NAMES: readonly string[] = Object.keys(new EnvironmentVariables());
