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

// Changes made outside the gateway (the REST "end session") that connected clients must hear
// about. The signaling module subscribes; this module does not know it exists.
@Injectable()
export class SessionEvents {
  readonly ended = new Subject<SessionEndedEvent>();
}
