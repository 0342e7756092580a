import { AppException } from '../../../common/errors/app.exception';

export const DataSubjectErrors = {
  notFound: (): AppException => AppException.notFound('The erasure request'),
  notOpen: (): AppException =>
    AppException.conflict('The erasure request has been decided already.'),
};
