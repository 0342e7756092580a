import { BadRequestException, HttpException, NotFoundException } from '@nestjs/common';
import { AppException } from './app.exception';
import { isDependencyFailure } from './dependency-failure';
import { ErrorCode } from './error-code';
import { toProblem } from './problem-details.filter';

describe('toProblem', () => {
  it('keeps the code, status, detail and extensions of an AppException', () => {
    const { problem, headers } = toProblem(
      new AppException(ErrorCode.RateLimited, 'Slow down.', {
        headers: { 'Retry-After': '30' },
        extensions: { retryAfter: 30 },
      }),
      'r1',
    );
    expect(problem).toEqual({
      type: 'urn:hekim:problem:rate-limited',
      title: 'Too many requests',
      status: 429,
      detail: 'Slow down.',
      code: 'RATE_LIMITED',
      requestId: 'r1',
      retryAfter: 30,
    });
    expect(headers).toEqual({ 'Retry-After': '30' });
  });

  it('maps Nest HTTP exceptions by status', () => {
    expect(toProblem(new NotFoundException('Cannot GET /x'), 'r').problem).toMatchObject({
      code: 'NOT_FOUND',
      detail: 'Cannot GET /x',
    });
    expect(toProblem(new BadRequestException({ message: ['a'] }), 'r').problem).toMatchObject({
      code: 'VALIDATION_FAILED',
      detail: 'Validation failed',
    });
    expect(toProblem(new HttpException('boom internals', 502), 'r').problem).toMatchObject({
      code: 'INTERNAL',
      detail: 'An unexpected error occurred.',
    });
    expect(toProblem(new HttpException('locked', 423), 'r').problem.code).toBe('RATE_LIMITED');
  });

  it('answers an unreachable database with 503 UNAVAILABLE and Retry-After', () => {
    const err = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
      code: 'ECONNREFUSED',
    });
    const { problem, headers } = toProblem(
      Object.assign(new Error('query failed'), { driverError: err }),
      'r',
    );
    expect(problem).toMatchObject({ status: 503, code: 'UNAVAILABLE' });
    expect(headers['Retry-After']).toBe('5');
  });

  it('hides everything about an unknown error', () => {
    const { problem } = toProblem(
      new TypeError("Cannot read properties of undefined (reading 'id')"),
      'r',
    );
    expect(problem).toMatchObject({
      status: 500,
      code: 'INTERNAL',
      detail: 'An unexpected error occurred.',
    });
    expect(toProblem('a string', undefined).problem.code).toBe('INTERNAL');
  });
});

describe('isDependencyFailure', () => {
  it('recognises connection errors through causes, and nothing else', () => {
    expect(isDependencyFailure(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(
      isDependencyFailure(
        new Error('outer', { cause: Object.assign(new Error('x'), { code: '57P01' }) }),
      ),
    ).toBe(true);
    expect(isDependencyFailure(Object.assign(new Error('duplicate key'), { code: '23505' }))).toBe(
      false,
    );
    expect(isDependencyFailure('ECONNREFUSED')).toBe(false);
    // A transaction whose backend was terminated: TypeORM refuses its next query so.
    class QueryRunnerAlreadyReleasedError extends Error {
      override name = 'QueryRunnerAlreadyReleasedError';
    }
    expect(isDependencyFailure(new QueryRunnerAlreadyReleasedError('released'))).toBe(true);
    expect(isDependencyFailure(new Error('Client was closed and is not queryable'))).toBe(true);
  });
});

describe('AppException shorthands', () => {
  it('carry the code and default status of each case', () => {
    expect(AppException.notFound('The room')).toMatchObject({
      code: 'NOT_FOUND',
      status: 404,
      detail: 'The room was not found.',
    });
    expect(AppException.forbidden()).toMatchObject({ code: 'FORBIDDEN', status: 403 });
    expect(AppException.conflict('Already ended.')).toMatchObject({
      code: 'CONFLICT',
      status: 409,
      detail: 'Already ended.',
    });
    expect(AppException.unauthorized()).toMatchObject({ code: 'UNAUTHORIZED', status: 401 });
    expect(AppException.validation([{ field: 'a', messages: ['bad'] }]).extensions).toEqual({
      errors: [{ field: 'a', messages: ['bad'] }],
    });
  });
});
