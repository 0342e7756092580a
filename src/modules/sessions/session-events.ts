import { Injectable } from '@nestjs/common';
import { Subject } from 'rxjs';

// Domain events of the sessions module, published only after their transaction committed.
// They carry plain ids and values, never entities or socket ids: whoever reacts (the
// signaling edge, the calls module) finds its own sockets or rows from them.

// A session ended by the server or its host (REST "end session", the room closed).
export interface SessionEndedEvent {
  roomId: string;
  sessionId: string;
  reason: string;
  // Who was in it when it ended.
  userIds: string[];
}

// A user taken out of a room by the server (not by their own leave), e.g. on consent
// withdrawal or removal from the room. Their devices are told `room:removed`; the others in
// the room that they left (when they were in it).
export interface UserRemovedEvent {
  roomId: string;
  // Null when the user was only knocking at the waiting room.
  sessionId: string | null;
  userId: string;
  reason: string;
}

// A stay whose reconnect grace ran out (its device never came back): the user left the room.
export interface GraceExpiredEvent {
  roomId: string;
  sessionId: string;
  userId: string;
}

// Someone's place in a room's waiting room changed: they knocked, were admitted, or their knock
// ended without admission (they left, their socket dropped, they were removed). The appointments
// module keeps its queue from these (docs/appointments.md, "The queue").
export interface WaitingChangedEvent {
  roomId: string;
  userId: string;
  change: 'knocked' | 'admitted' | 'left';
  // Who admitted them (only with `admitted`).
  by?: { id: string; role: string };
}

@Injectable()
export class SessionEvents {
  readonly ended = new Subject<SessionEndedEvent>();
  readonly removed = new Subject<UserRemovedEvent>();
  readonly graceExpired = new Subject<GraceExpiredEvent>();
  readonly waiting = new Subject<WaitingChangedEvent>();
}
