import { AppException } from '../../common/errors/app.exception';
import { ErrorCode } from '../../common/errors/error-code';

// Why the chat refused something: the `reason` member of the problem document and of the
// signaling ack's error, beside the contract's `code` (docs/chat.md, "Refusals").
export enum ChatRefusal {
  NotAMember = 'NOT_A_MEMBER',
  Waiting = 'WAITING_NOT_ALLOWED',
  RoomClosed = 'ROOM_CLOSED',
  Empty = 'EMPTY_MESSAGE',
  TooLong = 'TEXT_TOO_LONG',
  NotPlainText = 'TEXT_NOT_PLAIN',
  UserRate = 'USER_RATE_LIMITED',
  RoomRate = 'ROOM_RATE_LIMITED',
  ClientIdReused = 'CLIENT_ID_REUSED',
  AttachmentUnknown = 'ATTACHMENT_NOT_FOUND',
  AttachmentUsed = 'ATTACHMENT_ALREADY_SENT',
  NoFile = 'FILE_MISSING',
  FileTooLarge = 'FILE_TOO_LARGE',
  UnsupportedType = 'UNSUPPORTED_FILE_TYPE',
  ImageTooLarge = 'IMAGE_TOO_LARGE',
  Damaged = 'FILE_DAMAGED',
  ActiveContent = 'FILE_ACTIVE_CONTENT',
}

function refusal(code: ErrorCode, reason: ChatRefusal, detail: string): AppException {
  return new AppException(code, detail, { extensions: { reason } });
}

export const ChatErrors = {
  // A room the caller is not in does not exist for them (as in the rooms module).
  notFound: (): AppException => AppException.notFound('The room'),
  notAMember: (): AppException =>
    refusal(
      ErrorCode.Forbidden,
      ChatRefusal.NotAMember,
      'Only members of the room take part in its chat.',
    ),
  waiting: (): AppException =>
    refusal(
      ErrorCode.Forbidden,
      ChatRefusal.Waiting,
      'The host has not let people in the waiting room use the chat.',
    ),
  closed: (): AppException =>
    refusal(ErrorCode.Conflict, ChatRefusal.RoomClosed, 'The room is closed.'),
  empty: (): AppException =>
    refusal(ErrorCode.ValidationFailed, ChatRefusal.Empty, 'A message needs text or a file.'),
  tooLong: (max: number): AppException =>
    refusal(
      ErrorCode.ValidationFailed,
      ChatRefusal.TooLong,
      `A message holds at most ${max} characters.`,
    ),
  notPlain: (): AppException =>
    refusal(
      ErrorCode.ValidationFailed,
      ChatRefusal.NotPlainText,
      'A message is plain text: no control or direction-override characters.',
    ),
  rate: (reason: ChatRefusal.UserRate | ChatRefusal.RoomRate, retryAfter: number): AppException =>
    new AppException(
      ErrorCode.RateLimited,
      reason === ChatRefusal.UserRate
        ? 'You are sending messages too fast.'
        : 'This room receives too many messages; wait a moment.',
      { extensions: { reason, retryAfter }, headers: { 'Retry-After': String(retryAfter) } },
    ),
  clientIdReused: (): AppException =>
    refusal(
      ErrorCode.Conflict,
      ChatRefusal.ClientIdReused,
      'This clientId was already used for a different message.',
    ),
  attachmentUnknown: (): AppException =>
    refusal(ErrorCode.NotFound, ChatRefusal.AttachmentUnknown, 'The attachment was not found.'),
  attachmentUsed: (): AppException =>
    refusal(
      ErrorCode.Conflict,
      ChatRefusal.AttachmentUsed,
      'The attachment was already sent in a message.',
    ),
  noFile: (): AppException =>
    refusal(ErrorCode.ValidationFailed, ChatRefusal.NoFile, 'Send the file in the field `file`.'),
  fileTooLarge: (max: number): AppException =>
    refusal(
      ErrorCode.PayloadTooLarge,
      ChatRefusal.FileTooLarge,
      `A file holds at most ${max} bytes.`,
    ),
  unsupported: (): AppException =>
    refusal(
      ErrorCode.ValidationFailed,
      ChatRefusal.UnsupportedType,
      'Only JPEG, PNG and PDF files are accepted (judged by their content, not their name).',
    ),
  imageTooLarge: (maxPixels: number): AppException =>
    refusal(
      ErrorCode.PayloadTooLarge,
      ChatRefusal.ImageTooLarge,
      `An image holds at most ${maxPixels} pixels.`,
    ),
  damaged: (): AppException =>
    refusal(ErrorCode.ValidationFailed, ChatRefusal.Damaged, 'The file is damaged or incomplete.'),
  activeContent: (): AppException =>
    refusal(
      ErrorCode.ValidationFailed,
      ChatRefusal.ActiveContent,
      'PDF files with scripts, launch actions or embedded files are refused.',
    ),
};
