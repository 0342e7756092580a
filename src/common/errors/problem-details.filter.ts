import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  Logger,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { AppException } from './app.exception';
import { isDependencyFailure } from './dependency-failure';
import { ErrorCode, TITLES } from './error-code';

export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  requestId: string | undefined;
  [extension: string]: unknown;
}

const STATUS_CODES: Record<number, ErrorCode> = {
  400: ErrorCode.ValidationFailed,
  401: ErrorCode.Unauthorized,
  403: ErrorCode.Forbidden,
  404: ErrorCode.NotFound,
  405: ErrorCode.NotFound,
  409: ErrorCode.Conflict,
  413: ErrorCode.PayloadTooLarge,
  415: ErrorCode.ValidationFailed,
  423: ErrorCode.RateLimited,
  429: ErrorCode.RateLimited,
  503: ErrorCode.Unavailable,
};

function codeForStatus(status: number): ErrorCode {
  return STATUS_CODES[status] ?? (status >= 500 ? ErrorCode.Internal : ErrorCode.ValidationFailed);
}

// Problem types are URNs: stable identifiers that do not pretend to be fetchable pages.
export const PROBLEM_TYPE_BASE = 'urn:hekim:problem:';

// Turns anything thrown into the RFC 9457 document of docs/contract.md. Only AppException and
// HttpException details reach the client; everything else is logged and answered with a
// generic INTERNAL so that no stack, SQL or internal name leaks.
export function toProblem(
  error: unknown,
  requestId: string | undefined,
): { problem: ProblemDocument; headers: Record<string, string> } {
  let code: ErrorCode;
  let status: number;
  let detail: string;
  let extensions: Record<string, unknown> = {};
  let headers: Record<string, string> = {};

  if (error instanceof AppException) {
    ({ code, status, detail, extensions, headers } = error);
  } else if (error instanceof HttpException) {
    status = error.getStatus();
    code = codeForStatus(status);
    const body = error.getResponse();
    const message = typeof body === 'string' ? body : (body as { message?: unknown }).message;
    detail =
      status >= 500
        ? 'An unexpected error occurred.'
        : typeof message === 'string'
          ? message
          : TITLES[code];
  } else if (isBodyParserError(error)) {
    status = error.status;
    code = codeForStatus(status);
    detail =
      error.type === 'entity.too.large'
        ? 'The request body is larger than this server accepts.'
        : 'The request body could not be read.';
  } else if (isDependencyFailure(error)) {
    status = 503;
    code = ErrorCode.Unavailable;
    detail = 'A backing service is temporarily unavailable. Retry shortly.';
    headers = { 'Retry-After': '5' };
  } else {
    status = 500;
    code = ErrorCode.Internal;
    detail = 'An unexpected error occurred.';
  }

  return {
    problem: {
      type: `${PROBLEM_TYPE_BASE}${code.toLowerCase().replace(/_/g, '-')}`,
      title: TITLES[code],
      status,
      detail,
      code,
      requestId,
      ...extensions,
    },
    headers,
  };
}

function isBodyParserError(error: unknown): error is Error & { status: number; type: string } {
  return (
    error instanceof Error &&
    typeof (error as { status?: unknown }).status === 'number' &&
    typeof (error as { type?: unknown }).type === 'string' &&
    (error as { expose?: unknown }).expose === true
  );
}

@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(error: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw error;
    const http = host.switchToHttp();
    const req = http.getRequest<Request & { id?: string }>();
    const res = http.getResponse<Response>();
    const requestId = typeof req.id === 'string' ? req.id : undefined;
    const { problem, headers } = toProblem(error, requestId);

    if (problem.status >= 500) {
      this.logger.error({ err: error, requestId, code: problem.code }, 'request failed');
    }
    if (res.headersSent) {
      // A streamed response already started; the only honest thing left is to cut it.
      res.destroy();
      return;
    }
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    res.status(problem.status).type('application/problem+json').send(JSON.stringify(problem));
  }
}
