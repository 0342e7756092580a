import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { OutboxChannel } from '../../outbox/outbox-message.entity';
import { OutboxService } from '../../outbox/outbox.service';
import { AccountNotifier, type AccountMessage } from './account-notifier';

// Default notifier: writes the message to the outbox, in the same transaction as the change
// that caused it; the outbox relay delivers it by e-mail (docs/notifications.md).
@Injectable()
export class OutboxNotifier extends AccountNotifier {
  constructor(private readonly outbox: OutboxService) {
    super();
  }

  async send(message: AccountMessage, manager: EntityManager): Promise<void> {
    const { email, ...payload } = message;
    await this.outbox.enqueue(manager, {
      channel: OutboxChannel.Email,
      recipient: email,
      kind: message.kind,
      payload: {
        ...payload,
        ...('expiresAt' in payload ? { expiresAt: payload.expiresAt.toISOString() } : {}),
      },
      ...('expiresAt' in payload ? { expiresAt: payload.expiresAt } : {}),
    });
  }
}
