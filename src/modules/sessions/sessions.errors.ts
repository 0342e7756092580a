import { AppException } from '../../common/errors/app.exception';

export const SessionErrors = {
  notFound: (): AppException => AppException.notFound('The session'),
  notWaiting: (): AppException => AppException.notFound('The waiting user'),
  notJoined: (): AppException => AppException.conflict('You have not joined this room.'),
  notAMember: (): AppException => AppException.forbidden('Only members of the room may join it.'),
};
