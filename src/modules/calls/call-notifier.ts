import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { OutboxMessageEntity } from '../auth/notifier/outbox-message.entity';
import { UserEntity } from '../users/user.entity';

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

// Default: queue a `call.incoming` message in the notification outbox for a delivery worker.
@Injectable()
export class OutboxCallNotifier extends CallNotifier {
  private readonly logger = new Logger('CallNotifier');

  async incoming(notice: IncomingCallNotice, manager: EntityManager): Promise<void> {
    const callee = await manager.getRepository(UserEntity).findOne({
      select: { id: true, email: true },
      where: { id: notice.calleeId },
    });
    if (!callee) return;
    const row = await manager.getRepository(OutboxMessageEntity).save({
      recipient: callee.email,
      kind: 'call.incoming',
      payload: { callId: notice.callId, callerId: notice.callerId, type: notice.type },
      sentAt: null,
    });
    this.logger.log(
      { outboxId: row.id, callId: notice.callId },
      'incoming call queued in the outbox',
    );
  }
}
