import { AppException } from '../../../common/errors/app.exception';
import { ErrorCode } from '../../../common/errors/error-code';

// The consents module's failures, in one place.
export const ConsentErrors = {
  // The consent gate's refusal (REST 403 and signaling ack alike).
  required: (): AppException =>
    new AppException(
      ErrorCode.ConsentRequired,
      'An active consent to telemedicine is required: grant it with POST /api/v1/consents.',
    ),
  notCurrent: (current: number): AppException =>
    AppException.conflict(
      `Only the current version (${current}) of this consent text can be granted.`,
    ),
  noText: (): AppException => AppException.notFound('The consent text'),
  notInForce: (): AppException => AppException.notFound('A consent in force for this purpose'),
};
