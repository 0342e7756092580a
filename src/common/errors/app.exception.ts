import { DEFAULT_STATUS, ErrorCode } from './error-code';

export interface FieldError {
  field: string;
  messages: string[];
}

export interface AppExceptionOptions {
  status?: number;
  // Extra members of the problem document (e.g. `errors` for validation, `retryAfter`).
  extensions?: Record<string, unknown>;
  // Response headers such as Retry-After.
  headers?: Record<string, string>;
  cause?: unknown;
}

// The one exception type features throw. The global filter turns it into problem+json;
// `detail` is shown to the client, so it must never carry internals.
export class AppException extends Error {
  readonly status: number;
  readonly extensions: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    options: AppExceptionOptions = {},
  ) {
    super(detail, { cause: options.cause });
    this.name = 'AppException';
    this.status = options.status ?? DEFAULT_STATUS[code];
    this.extensions = options.extensions ?? {};
    this.headers = options.headers ?? {};
  }

  static validation(errors: FieldError[], detail = 'The request is invalid.'): AppException {
    return new AppException(ErrorCode.ValidationFailed, detail, { extensions: { errors } });
  }

  static notFound(what = 'The resource'): AppException {
    return new AppException(ErrorCode.NotFound, `${what} was not found.`);
  }

  static forbidden(detail = 'You are not allowed to do this.'): AppException {
    return new AppException(ErrorCode.Forbidden, detail);
  }

  static conflict(detail: string): AppException {
    return new AppException(ErrorCode.Conflict, detail);
  }

  static unauthorized(detail = 'Authentication is required.'): AppException {
    return new AppException(ErrorCode.Unauthorized, detail);
  }
}
