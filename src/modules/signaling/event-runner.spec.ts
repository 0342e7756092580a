import { AppException } from '../../common/errors/app.exception';
import { ErrorCode } from '../../common/errors/error-code';
import { CallErrors } from '../calls/calls.errors';
import { retryAfterOf } from './event-runner';

describe('retryAfterOf', () => {
  it('takes the seconds of a rate limit from its Retry-After', () => {
    expect(retryAfterOf(CallErrors.rateLimited(60))).toBe(60);
  });

  it('prefers the retryAfter member when there is one', () => {
    const err = new AppException(ErrorCode.RateLimited, 'slow down', {
      headers: { 'Retry-After': '9' },
      extensions: { retryAfter: 4 },
    });
    expect(retryAfterOf(err)).toBe(4);
  });

  it('gives nothing for other errors or a rate limit without a time', () => {
    expect(retryAfterOf(AppException.forbidden())).toBeUndefined();
    expect(retryAfterOf(new AppException(ErrorCode.RateLimited, 'slow down'))).toBeUndefined();
  });
});
