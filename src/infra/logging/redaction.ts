// Keys whose values never reach a log line, at any nesting depth up to MAX_DEPTH. Configured
// once here for every logger in the process, so redaction does not depend on discipline.
export const SENSITIVE_KEYS = [
  'password',
  'newPassword',
  'currentPassword',
  'passwordHash',
  'token',
  'accessToken',
  'refreshToken',
  'idToken',
  'otp',
  'secret',
  'credential',
  'recoveryCodes',
  'authorization',
  'cookie',
  'sdp',
  'candidate',
  'iceServers',
  'nationalId',
] as const;

const MAX_DEPTH = 4;

export function redactPaths(): string[] {
  const paths = [
    'req.headers.authorization',
    'req.headers.cookie',
    'req.headers["x-metrics-token"]',
    'res.headers["set-cookie"]',
  ];
  for (const key of SENSITIVE_KEYS) {
    for (let depth = 0; depth < MAX_DEPTH; depth++)
      paths.push([...Array<string>(depth).fill('*'), key].join('.'));
  }
  return paths;
}

export const REDACTED = '[redacted]';

// Query strings may carry tokens (clients that should not, do); only their keys are logged.
export function stripQueryValues(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const keys = url
    .slice(q + 1)
    .split('&')
    .map((pair) => pair.split('=')[0])
    .filter((k) => k.length > 0);
  return `${url.slice(0, q)}?${keys.map((k) => `${k}=${REDACTED}`).join('&')}`;
}
