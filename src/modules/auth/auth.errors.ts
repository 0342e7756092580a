import { AppException } from '../../common/errors/app.exception';
import { ErrorCode } from '../../common/errors/error-code';

// The auth module's refusals, in one place. Credential failures share one message so that
// nobody learns which part was wrong or whether the account exists.
export const AuthErrors = {
  invalidCredentials: (): AppException =>
    AppException.unauthorized('The e-mail address, password or code is not correct.'),
  mfaRequired: (): AppException =>
    new AppException(
      ErrorCode.MfaRequired,
      'This account uses multi-factor authentication: send the current code as `otp`.',
    ),
  locked: (retryAfterSeconds: number): AppException =>
    new AppException(
      ErrorCode.RateLimited,
      `Too many failed sign-in attempts. Try again in ${retryAfterSeconds} seconds.`,
      {
        status: 423,
        headers: { 'Retry-After': String(retryAfterSeconds) },
        extensions: { retryAfter: retryAfterSeconds },
      },
    ),
  invalidRefreshToken: (): AppException =>
    AppException.unauthorized('The refresh token is invalid or its session has ended.'),
  tokenReused: (): AppException =>
    new AppException(
      ErrorCode.TokenReused,
      'This refresh token was already used. Every session of this sign-in has been ended; sign in again.',
    ),
  sessionNotFound: (): AppException => AppException.notFound('The session'),
  emailNotVerified: (): AppException =>
    new AppException(
      ErrorCode.EmailNotVerified,
      'Verify your e-mail address first: open the link in the message sent to it.',
    ),
  invalidVerificationToken: (): AppException =>
    AppException.validation(
      [{ field: 'token', messages: ['token is invalid, used or expired'] }],
      'The verification token is invalid, used or expired.',
    ),
  invalidResetToken: (): AppException =>
    AppException.validation(
      [{ field: 'token', messages: ['token is invalid, used or expired'] }],
      'The reset token is invalid, used or expired.',
    ),
  tooManyCodes: (retryAfterSeconds: number): AppException =>
    new AppException(
      ErrorCode.RateLimited,
      `Too many codes tried for this account. Try again in ${retryAfterSeconds} seconds.`,
      {
        headers: { 'Retry-After': String(retryAfterSeconds) },
        extensions: { retryAfter: retryAfterSeconds },
      },
    ),
  invalidOtp: (): AppException =>
    AppException.validation(
      [{ field: 'otp', messages: ['otp is not a valid current code'] }],
      'The code is not valid.',
    ),
  mfaNotSetUp: (): AppException =>
    AppException.conflict('Multi-factor authentication has not been set up: call setup first.'),
  mfaAlreadyEnabled: (): AppException =>
    AppException.conflict('Multi-factor authentication is already enabled.'),
  mfaNotEnabled: (): AppException =>
    AppException.conflict('Multi-factor authentication is not enabled.'),
  mfaRequiredForRole: (): AppException =>
    AppException.forbidden(
      'Your role requires multi-factor authentication; it cannot be disabled.',
    ),
};
