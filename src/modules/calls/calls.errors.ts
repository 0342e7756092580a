import { AppException } from '../../common/errors/app.exception';
import { ErrorCode } from '../../common/errors/error-code';

export const CallErrors = {
  // Non-participants are told the call does not exist: its existence is private.
  notFound: (): AppException => AppException.notFound('The call'),
  // Unknown, deactivated or out of reach (docs/access-model.md): one answer for all three.
  notAllowed: (): AppException =>
    AppException.forbidden(
      'You may not ring this person: calls are between staff, or a doctor and a patient in an active care relationship.',
    ),
  selfCall: (): AppException =>
    AppException.validation([{ field: 'calleeIds', messages: ['must not include the caller'] }]),
  tooManyCallees: (max: number): AppException =>
    AppException.validation([
      { field: 'calleeIds', messages: [`must contain no more than ${max} elements`] },
    ]),
  refused: (reason: string): AppException => AppException.conflict(`The call ${reason}.`),
  rateLimited: (retryAfter: number): AppException =>
    new AppException(ErrorCode.RateLimited, 'Too many calls started; try again later.', {
      headers: { 'Retry-After': String(retryAfter) },
    }),
};
