import { AppException } from '../../../common/errors/app.exception';
import { ErrorCode } from '../../../common/errors/error-code';
import type { InvitationWindow } from './invitation-window';

// The invitations' failures, in one place. A link that does not exist, was replaced by a
// fresh one or was revoked all answer the same 401, so a token cannot be probed.
export const InvitationErrors = {
  notFound: (): AppException => AppException.notFound('The invitation'),
  invalidLink: (): AppException =>
    AppException.unauthorized('The invitation link is invalid, was replaced or was revoked.'),
  outsideWindow: (w: InvitationWindow, position: 'early' | 'late'): AppException =>
    new AppException(
      ErrorCode.Conflict,
      position === 'early'
        ? 'The invitation link opens shortly before the appointment.'
        : 'The invitation link has expired.',
      {
        extensions: {
          reason: position === 'early' ? 'too_early' : 'expired',
          opensAt: w.opensAt.toISOString(),
          closesAt: w.closesAt.toISOString(),
        },
      },
    ),
  otherDevice: (): AppException =>
    new AppException(
      ErrorCode.Forbidden,
      'This invitation link was already opened on another device; ask for a new invitation.',
      { extensions: { reason: 'other_device' } },
    ),
  noReach: (): AppException =>
    AppException.validation([
      { field: 'email', messages: ['give an e-mail address or a phone number (or both)'] },
    ]),
  badPhone: (): AppException =>
    AppException.validation([{ field: 'phone', messages: ['phone must be a valid phone number'] }]),
  resendTarget: (): AppException =>
    AppException.validation([{ field: 'email', messages: ['give exactly one of email or phone'] }]),
  closed: (): AppException =>
    AppException.conflict('The appointment is over or cancelled: nobody can be invited to it.'),
  patientHasAccount: (): AppException =>
    AppException.conflict(
      'The appointment’s patient has an account and signs in; invite others as guest, interpreter or companion.',
    ),
  patientInvited: (): AppException =>
    AppException.conflict('The appointment’s patient already holds a live invitation.'),
};
