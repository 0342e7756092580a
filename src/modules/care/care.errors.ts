import { AppException } from '../../common/errors/app.exception';

// The care module's refusals. A relationship the caller is not a party to does not exist
// for them.
export const CareErrors = {
  notFound: (): AppException => AppException.notFound('The care relationship'),
  ended: (): AppException => AppException.conflict('The care relationship has already ended.'),
};
