import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { OutboxMessageEntity } from './outbox-message.entity';

// The only code that touches notification_outbox.
@Injectable()
export class OutboxRepository {
  async enqueue(
    message: Pick<OutboxMessageEntity, 'recipient' | 'kind' | 'payload'>,
    manager: EntityManager,
  ): Promise<string> {
    const row = await manager.getRepository(OutboxMessageEntity).save({ ...message, sentAt: null });
    return row.id;
  }
}
