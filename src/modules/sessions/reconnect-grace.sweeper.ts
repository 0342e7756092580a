import {
  type BeforeApplicationShutdown,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { PeriodicTask } from '../../common/scheduling/periodic-task';
import { RoomPresenceService } from './room-presence.service';
import { SessionEvents } from './session-events';

// How often the reconnect-grace deadlines are looked at: the grace ends within this much of
// its deadline.
const SWEEP_EVERY_MS = 500;

// Ends the stays whose reconnect grace ran out (any instance may; SKIP LOCKED hands each
// to one) and announces each after its commit (SessionEvents.graceExpired): the signaling
// edge tells the room, the calls module fails or leaves the call.
@Injectable()
export class ReconnectGraceSweeper implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Sessions');
  private readonly task = new PeriodicTask(
    'reconnect-grace sweep failed',
    SWEEP_EVERY_MS,
    async () => {
      await this.sweep();
    },
    this.logger,
  );

  constructor(
    private readonly presence: RoomPresenceService,
    private readonly events: SessionEvents,
  ) {}

  onApplicationBootstrap(): void {
    this.task.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.task.stop();
  }

  async sweep(now: Date = new Date()): Promise<number> {
    const expired = await this.presence.expireGraces(now);
    for (const left of expired)
      this.events.graceExpired.next({
        roomId: left.roomId,
        sessionId: left.sessionId,
        userId: left.userId,
      });
    return expired.length;
  }
}
