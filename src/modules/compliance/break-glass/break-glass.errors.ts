import { AppException } from '../../../common/errors/app.exception';

export const BreakGlassErrors = {
  notFound: (): AppException => AppException.notFound('The break-glass grant'),
  patientNotFound: (): AppException => AppException.notFound('The patient'),
  tooLong: (max: number): AppException =>
    AppException.validation([
      { field: 'durationMinutes', messages: [`durationMinutes must not be greater than ${max}`] },
    ]),
  alreadyActive: (): AppException =>
    AppException.conflict('You already hold an active break-glass grant for this patient.'),
  notActive: (): AppException => AppException.conflict('The break-glass grant is not active.'),
};
