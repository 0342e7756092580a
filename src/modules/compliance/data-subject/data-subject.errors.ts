import { AppException } from '../../../common/errors/app.exception';

export const DataSubjectErrors = {
  notFound: (): AppException => AppException.notFound('The erasure request'),
  // Users are never deleted (erasure anonymizes the row), so this means a bad id.
  subjectGone: (): AppException => AppException.notFound('The user'),
  notOpen: (): AppException =>
    AppException.conflict('The erasure request has been decided already.'),
};
