import { AppException } from '../../common/errors/app.exception';

// The users module's refusals, in one place.
export const UsersErrors = {
  notFound: (): AppException => AppException.notFound('The user'),
  emailTaken: (): AppException =>
    AppException.conflict('An account with this e-mail address already exists.'),
  weakPassword: (problems: string[], field = 'password'): AppException =>
    AppException.validation(
      [{ field, messages: problems.map((p) => `${field} ${p}`) }],
      `Invalid or unknown fields: ${field}.`,
    ),
  lastAdmin: (): AppException =>
    AppException.conflict('The last active admin cannot be demoted or deactivated.'),
  selfChange: (): AppException =>
    AppException.forbidden('Admins cannot change their own role or status.'),
};
