import { Role } from '../../common/auth/role';
import { ErrorCode } from '../../common/errors/error-code';
import type { ClientToServerEvents } from './signaling-events';
import { failure } from './signaling-socket';

// What a guest grant (docs/auth.md, "Guest grant") may do over signaling: enter and leave the
// waiting room and the room (membership limits it to its one room), negotiate media and chat
// there, and renew its token. Every other event, including events added later, is refused: default deny.
export const GUEST_EVENTS: ReadonlySet<string> = new Set<keyof ClientToServerEvents>([
  'room:join',
  'room:leave',
  'call:offer',
  'call:answer',
  'call:ice-candidate',
  'chat:send',
  'chat:typing',
  'chat:read',
  'auth:refresh',
]);

// The socket's `use` middleware: lets an account's events through, and a guest's only when
// listed; a refused event is answered FORBIDDEN (when it has an ack) and dropped.
export function guestEventFilter(
  socket: { data: { user: { role: Role } } },
  packet: unknown[],
  next: () => void,
): void {
  const event = packet[0];
  if (
    socket.data.user.role !== Role.Guest ||
    (typeof event === 'string' && GUEST_EVENTS.has(event))
  )
    return next();
  const ack: unknown = packet.at(-1);
  if (typeof ack === 'function')
    (ack as (a: unknown) => void)(
      failure(ErrorCode.Forbidden, 'An invitation’s guest may not send this event.'),
    );
}
