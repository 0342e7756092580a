import { DataSource } from 'typeorm';
import {
  ChannelSender,
  ChannelSenders,
  DeliveryError,
  type OutboundMessage,
} from '../../src/modules/outbox/channel-sender';
import { OutboxChannel } from '../../src/modules/outbox/outbox-message.entity';
import { OutboxService } from '../../src/modules/outbox/outbox.service';
import type { NewOutboxMessage } from '../../src/modules/outbox/outbox.repository';
import type { TestApp } from './test-app';

// A channel sender a test controls: it records every attempt it is given and answers with
// whatever `behaviour` returns for it (resolve: accepted; throw: failed).
export class RecordingSender extends ChannelSender {
  readonly received: OutboundMessage[] = [];
  behaviour: (m: OutboundMessage) => Promise<void> | void = () => undefined;

  constructor(readonly channel: OutboxChannel = OutboxChannel.Email) {
    super();
  }

  async send(message: OutboundMessage): Promise<void> {
    this.received.push(message);
    await this.behaviour(message);
  }

  static failWith(code: string, permanent = false): () => never {
    return () => {
      throw new DeliveryError(code, permanent);
    };
  }
}

export function installSender(t: TestApp, sender: RecordingSender): void {
  t.app.get(ChannelSenders).standIn(sender);
}

// Messages written in one transaction, as a feature writes them with its change.
export async function enqueue(t: TestApp, messages: NewOutboxMessage[]): Promise<string[]> {
  const outbox = t.app.get(OutboxService);
  return t.app
    .get(DataSource)
    .transaction(async (m) => Promise.all(messages.map((msg) => outbox.enqueue(m, msg))));
}

export function emailMessage(n: number, payload: Record<string, unknown> = {}): NewOutboxMessage {
  return {
    channel: OutboxChannel.Email,
    recipient: `relay-${n}@example.test`,
    kind: 'test.message',
    payload: { n, ...payload },
  };
}

export interface OutboxRow {
  id: string;
  status: string;
  attempts: number;
  last_error: string | null;
  payload: Record<string, unknown>;
  scrubbed_at: Date | null;
  next_attempt_at: Date;
  last_attempt_at: Date | null;
}

export async function outboxRows(db: DataSource, ids: string[]): Promise<OutboxRow[]> {
  return db.query<OutboxRow[]>(
    `SELECT id, status, attempts, last_error, payload, scrubbed_at, next_attempt_at,
            last_attempt_at
       FROM notification_outbox WHERE id = ANY($1::uuid[])`,
    [ids],
  );
}
