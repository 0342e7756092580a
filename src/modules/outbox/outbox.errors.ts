import { AppException } from '../../common/errors/app.exception';

export const OutboxErrors = {
  notFound: (): AppException => AppException.notFound('The outbox message'),
  notDead: (): AppException =>
    AppException.conflict('Only a dead letter can be retried; this message is not one.'),
};
