import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { SessionEvents } from '../sessions/session-events';
import { CallsService } from './calls.service';

// A participant whose device dropped from a call's room and did not come back within the
// reconnect grace (SessionEvents.graceExpired): a one-to-one call fails; in a group call
// that participant leaves (CallsService.dropped). Rooms that are no call's are ignored there.
@Injectable()
export class CallDrops implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Calls');
  private subscription: Subscription | undefined;

  constructor(
    private readonly events: SessionEvents,
    private readonly calls: CallsService,
  ) {}

  onModuleInit(): void {
    this.subscription = this.events.graceExpired.subscribe(({ roomId, userId }) => {
      this.calls.dropped(roomId, userId).catch((err: unknown) => {
        this.logger.error(
          { err: err instanceof Error ? err.message : String(err), roomId },
          'could not end a dropped participant’s call',
        );
      });
    });
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
  }
}
