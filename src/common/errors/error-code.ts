// The codes of docs/contract.md. Clients switch on `code`; the HTTP status is secondary.
export enum ErrorCode {
  ValidationFailed = 'VALIDATION_FAILED',
  Unauthorized = 'UNAUTHORIZED',
  MfaRequired = 'MFA_REQUIRED',
  Forbidden = 'FORBIDDEN',
  NotFound = 'NOT_FOUND',
  Conflict = 'CONFLICT',
  RateLimited = 'RATE_LIMITED',
  ConsentRequired = 'CONSENT_REQUIRED',
  PayloadTooLarge = 'PAYLOAD_TOO_LARGE',
  TokenReused = 'TOKEN_REUSED',
  Internal = 'INTERNAL',
  // Addition to the contract: a dependency (PostgreSQL, Redis) is down; retry later.
  Unavailable = 'UNAVAILABLE',
  // The account must verify its e-mail address before its first sign-in (docs/auth.md).
  EmailNotVerified = 'EMAIL_NOT_VERIFIED',
}

export const DEFAULT_STATUS: Record<ErrorCode, number> = {
  [ErrorCode.ValidationFailed]: 400,
  [ErrorCode.Unauthorized]: 401,
  [ErrorCode.MfaRequired]: 401,
  [ErrorCode.Forbidden]: 403,
  [ErrorCode.NotFound]: 404,
  [ErrorCode.Conflict]: 409,
  [ErrorCode.RateLimited]: 429,
  [ErrorCode.ConsentRequired]: 403,
  [ErrorCode.PayloadTooLarge]: 413,
  [ErrorCode.TokenReused]: 401,
  [ErrorCode.Internal]: 500,
  [ErrorCode.Unavailable]: 503,
  [ErrorCode.EmailNotVerified]: 403,
};

export const TITLES: Record<ErrorCode, string> = {
  [ErrorCode.ValidationFailed]: 'Validation failed',
  [ErrorCode.Unauthorized]: 'Unauthorized',
  [ErrorCode.MfaRequired]: 'Multi-factor authentication required',
  [ErrorCode.Forbidden]: 'Forbidden',
  [ErrorCode.NotFound]: 'Not found',
  [ErrorCode.Conflict]: 'Conflict',
  [ErrorCode.RateLimited]: 'Too many requests',
  [ErrorCode.ConsentRequired]: 'Consent required',
  [ErrorCode.PayloadTooLarge]: 'Payload too large',
  [ErrorCode.TokenReused]: 'Refresh token reused',
  [ErrorCode.Internal]: 'Internal error',
  [ErrorCode.Unavailable]: 'Service unavailable',
  [ErrorCode.EmailNotVerified]: 'E-mail address not verified',
};
