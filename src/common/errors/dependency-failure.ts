// Errors that mean "a backing service is unreachable right now" rather than "this request is
// wrong". They become 503 UNAVAILABLE so that clients retry instead of giving up.
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '08000',
  '08001',
  '08003',
  '08006',
  '53300', // too_many_connections
]);

const CONNECTION_MESSAGES = [
  'Connection terminated',
  'connection timeout',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
  // node-postgres, for a query on a client whose connection already ended (a pooled client
  // handed out just as PostgreSQL went away).
  'Client was closed and is not queryable',
  'Connection is closed',
  "Stream isn't writeable",
  'Reached the max retries per request limit',
  // ioredis commandTimeout while Redis is unreachable.
  'Command timed out',
];

// TypeORM's name for "the connection under this transaction is gone" (a backend terminated
// mid-transaction releases its query runner; the next query of that transaction fails so).
const CONNECTION_ERROR_NAMES = new Set(['QueryRunnerAlreadyReleasedError']);

export function isDependencyFailure(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
    if (CONNECTION_ERROR_NAMES.has(e.name)) return true;
    if (CONNECTION_MESSAGES.some((m) => e instanceof Error && e.message.includes(m))) return true;
    e = (e as { driverError?: unknown; cause?: unknown }).driverError ?? e.cause;
  }
  return false;
}
