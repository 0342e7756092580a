// What a person reads when something fails: a plain sentence in their language, chosen by
// the error's code (docs/contract.md), never the code itself. The technical form (code and
// server message) goes to the technical log only (view.ts errorMessage).
import { t } from './i18n.js';

const KNOWN = new Set([
  'VALIDATION_FAILED',
  'UNAUTHORIZED',
  'MFA_REQUIRED',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
  'RATE_LIMITED',
  'CONSENT_REQUIRED',
  'PAYLOAD_TOO_LARGE',
  'TOKEN_REUSED',
  'INTERNAL',
  'UNAVAILABLE',
  'EMAIL_NOT_VERIFIED',
]);

// getUserMedia's refusals: NotAllowedError, NotFoundError, NotReadableError, OverconstrainedError.
const MEDIA_ERRORS = new Set([
  'NotAllowedError',
  'NotFoundError',
  'NotReadableError',
  'OverconstrainedError',
  'SecurityError',
]);

export function errorCodeOf(error: unknown): string | undefined {
  if (error instanceof Error) {
    const code = (error as Error & { code?: unknown }).code;
    if (typeof code === 'string' && KNOWN.has(code)) return code;
    if (MEDIA_ERRORS.has(error.name)) return 'MEDIA';
    if (error.name === 'TypeError' && /fetch/i.test(error.message)) return 'OFFLINE';
    if (/not connected to signaling|timeout/i.test(error.message)) return 'OFFLINE';
  }
  return undefined;
}

export function friendlyError(error: unknown): string {
  const code = errorCodeOf(error);
  return t(code ? `errors.${code}` : 'errors.generic');
}
