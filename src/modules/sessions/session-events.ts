import { Injectable } from '@nestjs/common';
import { Subject } from 'rxjs';

export interface SessionEndedEvent {
  roomId: string;
  sessionId: string;
  reason: string;
  // Sockets that were joined when the session ended; they must be told.
  socketIds: string[];
  userIds: string[];
}

// A user taken out of a room by the server (not by their own leave), e.g. on consent
// withdrawal. Their devices are told `room:removed`; `otherSocketIds` are told that they left.
export interface UserRemovedEvent {
  roomId: string;
  // Null when the user was only knocking at the waiting room.
  sessionId: string | null;
  userId: string;
  reason: string;
  otherSocketIds: string[];
}

// Changes made outside the gateway (the REST "end session") that connected clients must hear
// about. The signaling module subscribes; this module does not know it exists.
@Injectable()
export class SessionEvents {
  readonly ended = new Subject<SessionEndedEvent>();
  readonly removed = new Subject<UserRemovedEvent>();
}
