import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AccountNotifier, type AccountMessage } from './account-notifier';
import { OutboxMessageEntity } from './outbox-message.entity';

// Default notifier: writes the message to the outbox table, in the same transaction as the
// change that caused it, and logs that a message is waiting (never its content).
@Injectable()
export class OutboxNotifier extends AccountNotifier {
  private readonly logger = new Logger('AccountNotifier');

  async send(message: AccountMessage, manager: EntityManager): Promise<void> {
    const { email, ...payload } = message;
    const row = await manager.getRepository(OutboxMessageEntity).save({
      recipient: email,
      kind: message.kind,
      payload: {
        ...payload,
        ...('expiresAt' in payload ? { expiresAt: payload.expiresAt.toISOString() } : {}),
      },
      sentAt: null,
    });
    this.logger.log(
      { outboxId: row.id, kind: message.kind },
      'account message queued in the outbox',
    );
  }
}
