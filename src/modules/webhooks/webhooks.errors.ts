import { AppException } from '../../common/errors/app.exception';

export const WebhooksErrors = {
  notFound: (): AppException => AppException.notFound('The webhook endpoint'),
  deliveryNotFound: (): AppException => AppException.notFound('The delivery'),
  badTarget: (problem: string): AppException =>
    AppException.validation([{ field: 'url', messages: [`url ${problem}`] }]),
};
