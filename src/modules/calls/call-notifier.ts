import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AppConfig } from '../../config/app-config';
import { OutboxChannel } from '../outbox/outbox-message.entity';
import { OutboxService } from '../outbox/outbox.service';
import { UsersService } from '../users/users.service';

export interface IncomingCallNotice {
  callId: string;
  calleeId: string;
  callerId: string;
  type: 'audio' | 'video';
}

// Called for a callee with no connected device while their call rings: the place where a
// mobile push provider plugs in (override this provider). It runs in the transaction that
// records the delivery.
export abstract class CallNotifier {
  abstract incoming(notice: IncomingCallNotice, manager: EntityManager): Promise<void>;
}

// Default: queue a `call.incoming` push message in the outbox. It is only worth delivering
// while the call rings, so it expires with the ring (docs/notifications.md).
@Injectable()
export class OutboxCallNotifier extends CallNotifier {
  constructor(
    private readonly outbox: OutboxService,
    private readonly config: AppConfig,
    private readonly users: UsersService,
  ) {
    super();
  }

  async incoming(notice: IncomingCallNotice, manager: EntityManager): Promise<void> {
    const recipient = await this.users.emailOf(notice.calleeId, manager);
    if (recipient === null) return;
    await this.outbox.enqueue(manager, {
      channel: OutboxChannel.Push,
      recipient,
      kind: 'call.incoming',
      payload: { callId: notice.callId, callerId: notice.callerId, type: notice.type },
      expiresAt: new Date(Date.now() + this.config.calls.ringTimeoutSeconds * 1000),
    });
  }
}
