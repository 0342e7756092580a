import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AccountNotifier, type AccountMessage } from './account-notifier';
import { OutboxRepository } from './outbox.repository';

// Default notifier: writes the message to the outbox table, in the same transaction as the
// change that caused it, and logs that a message is waiting (never its content).
@Injectable()
export class OutboxNotifier extends AccountNotifier {
  private readonly logger = new Logger('AccountNotifier');

  constructor(private readonly outbox: OutboxRepository) {
    super();
  }

  async send(message: AccountMessage, manager: EntityManager): Promise<void> {
    const { email, ...payload } = message;
    const id = await this.outbox.enqueue(
      {
        recipient: email,
        kind: message.kind,
        payload: {
          ...payload,
          ...('expiresAt' in payload ? { expiresAt: payload.expiresAt.toISOString() } : {}),
        },
      },
      manager,
    );
    this.logger.log({ outboxId: id, kind: message.kind }, 'account message queued in the outbox');
  }
}
