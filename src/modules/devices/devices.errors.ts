import { AppException, type FieldError } from '../../common/errors/app.exception';

export const DevicesErrors = {
  notFound: (): AppException => AppException.notFound('The device'),
  invalid: (errors: FieldError[]): AppException =>
    AppException.validation(
      errors,
      `Invalid device registration: ${[...new Set(errors.map((e) => e.field))].join(', ')}.`,
    ),
  tooMany: (max: number): AppException =>
    AppException.conflict(`At most ${max} devices per user; remove one first.`),
};
