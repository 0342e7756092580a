import { readFileSync } from 'node:fs';
import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { ENV_NAMES, EnvironmentVariables } from './env.schema';

// The first job of loading the configuration: read the variables the schema knows from the
// environment and validate them against it. Nothing here depends on NODE_ENV.
export interface ReadEnvironment {
  env: EnvironmentVariables;
  // One line per offending variable and message.
  problems: string[];
}

export function readEnvironment(rawEnv: NodeJS.ProcessEnv): ReadEnvironment {
  // Unknown names are ignored; empty strings count as unset so that `FOO=` in a .env file
  // means "use the default".
  const plain: Record<string, string> = {};
  for (const name of ENV_NAMES) {
    const value = rawEnv[name];
    if (value !== undefined && value !== '') plain[name] = value;
  }
  const env = plainToInstance(EnvironmentVariables, plain);
  const problems = flatten(validateSync(env, { forbidUnknownValues: true }));
  for (const name of [
    'SMTP_CA_FILE',
    'PUSH_CA_FILE',
    'SIEM_CA_FILE',
    'SIEM_CLIENT_CERT_FILE',
  ] as const) {
    const path = env[name];
    if (path === undefined || problems.some((p) => p.startsWith(`${name}:`))) continue;
    const problem = pemProblem(path);
    if (problem) problems.push(`${name}: ${problem}`);
  }
  problems.push(...pushProblems(env, problems));
  problems.push(...siemProblems(env, problems));
  return { env, problems };
}

// A push platform is configured by several variables: all or none of them, and its key file
// must be readable and of the right kind, so that a typo fails the start, not every push.
function pushProblems(env: EnvironmentVariables, earlier: string[]): string[] {
  const out: string[] = [];
  const groups: [string, string[]][] = [
    [
      'Web Push',
      ['WEB_PUSH_VAPID_PUBLIC_KEY', 'WEB_PUSH_VAPID_PRIVATE_KEY', 'WEB_PUSH_VAPID_SUBJECT'],
    ],
    ['APNs', ['APNS_KEY_FILE', 'APNS_KEY_ID', 'APNS_TEAM_ID', 'APNS_BUNDLE_ID']],
  ];
  const given = (name: string): boolean =>
    (env as unknown as Record<string, unknown>)[name] !== undefined;
  for (const [platform, names] of groups) {
    const set = names.filter(given);
    if (set.length > 0 && set.length < names.length)
      for (const name of names.filter((n) => !given(n)))
        out.push(`${name}: is required with ${set.join(', ')} (${platform})`);
  }
  const file = (
    name: string,
    path: string | undefined,
    check: (text: string) => boolean,
    what: string,
  ): void => {
    if (path === undefined || earlier.some((p) => p.startsWith(`${name}:`))) return;
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      out.push(`${name}: cannot be read (${typeof code === 'string' ? code : 'error'}: ${path})`);
      return;
    }
    if (!check(text)) out.push(`${name}: ${what} (${path})`);
  };
  file(
    'APNS_KEY_FILE',
    env.APNS_KEY_FILE,
    (t) => t.includes('-----BEGIN PRIVATE KEY-----'),
    'holds no PEM private key',
  );
  file(
    'FCM_SERVICE_ACCOUNT_FILE',
    env.FCM_SERVICE_ACCOUNT_FILE,
    (t) => {
      try {
        const key = JSON.parse(t) as Record<string, unknown>;
        return ['project_id', 'client_email', 'private_key'].every(
          (k) => typeof key[k] === 'string',
        );
      } catch {
        return false;
      }
    },
    'is not a service account key (JSON with project_id, client_email, private_key)',
  );
  return out;
}

// SIEM forwarding needs the collector's CA (Hekim never trusts the public authorities for
// it), and a client certificate comes with its key.
function siemProblems(env: EnvironmentVariables, earlier: string[]): string[] {
  const out: string[] = [];
  const url = env.SIEM_SYSLOG_URL;
  if (url !== undefined && !earlier.some((p) => p.startsWith('SIEM_SYSLOG_URL:'))) {
    const port = /:(\d+)\/?$/.exec(url)?.[1];
    if (port !== undefined && (Number(port) < 1 || Number(port) > 65535))
      out.push(`SIEM_SYSLOG_URL: must have a port from 1 to 65535 (got ${JSON.stringify(url)})`);
  }
  if (url !== undefined && env.SIEM_CA_FILE === undefined)
    out.push('SIEM_CA_FILE: is required with SIEM_SYSLOG_URL');
  if ((env.SIEM_CLIENT_CERT_FILE === undefined) !== (env.SIEM_CLIENT_KEY_FILE === undefined))
    out.push(
      env.SIEM_CLIENT_CERT_FILE === undefined
        ? 'SIEM_CLIENT_CERT_FILE: is required with SIEM_CLIENT_KEY_FILE'
        : 'SIEM_CLIENT_KEY_FILE: is required with SIEM_CLIENT_CERT_FILE',
    );
  const key = env.SIEM_CLIENT_KEY_FILE;
  if (key !== undefined && !earlier.some((p) => p.startsWith('SIEM_CLIENT_KEY_FILE:'))) {
    let text: string;
    try {
      text = readFileSync(key, 'utf8');
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      out.push(
        `SIEM_CLIENT_KEY_FILE: cannot be read (${typeof code === 'string' ? code : 'error'}: ${key})`,
      );
      return out;
    }
    if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text))
      out.push(`SIEM_CLIENT_KEY_FILE: holds no PEM private key (${key})`);
  }
  return out;
}

// A file of certificates named by a variable must be readable and hold at least one.
function pemProblem(path: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    return `cannot be read (${typeof code === 'string' ? code : 'error'}: ${path})`;
  }
  return text.includes('-----BEGIN CERTIFICATE-----')
    ? undefined
    : `holds no PEM certificate (${path})`;
}

// One line per variable and message: several failed constraints of one variable share their
// message (PORT's integer, minimum and maximum checks all say "0 to 65535").
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
