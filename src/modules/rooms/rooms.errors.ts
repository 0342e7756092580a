import { AppException } from '../../common/errors/app.exception';

// The rooms module's failures, in one place. A room the caller may not know about is
// "not found", never "forbidden", so ids cannot be probed.
export const RoomErrors = {
  notFound: (): AppException => AppException.notFound('The room'),
  notHost: (): AppException => AppException.forbidden('Only the host or an admin may do this.'),
  memberNotFound: (): AppException => AppException.notFound('The member'),
  closed: (): AppException => AppException.conflict('The room is closed.'),
  full: (): AppException => AppException.conflict('The room is full.'),
  unknownUser: (userId: string): AppException =>
    AppException.validation([{ field: 'memberIds', messages: [`unknown user ${userId}`] }]),
  notInvited: (): AppException =>
    AppException.conflict('There is no open invitation to this room to decline.'),
  invitationPending: (): AppException =>
    AppException.forbidden(
      'Accept the invitation to this room first (POST /api/v1/rooms/:id/accept).',
    ),
  hostMembership: (): AppException =>
    AppException.conflict('The host cannot be removed from or re-added to the room.'),
};
