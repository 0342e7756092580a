import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

// Where a message goes. Each channel has one sender (channel-sender.ts).
export enum OutboxChannel {
  Email = 'email',
  Sms = 'sms',
  Push = 'push',
  Webhook = 'webhook',
}

export enum OutboxStatus {
  // Waiting for its next attempt (`nextAttemptAt`), or being delivered under a relay's lease.
  Pending = 'pending',
  Sent = 'sent',
  // Gave up after NOTIFY_MAX_ATTEMPTS or a permanent refusal; an admin may retry it.
  Dead = 'dead',
  // Its moment passed before it could be delivered (an incoming call that stopped ringing).
  Expired = 'expired',
}

// A message for a person or a system, written in the transaction that caused it and delivered
// at least once by the relay (docs/notifications.md). Its id is the idempotency key receivers
// see.
@Entity({ name: 'notification_outbox' })
@Check('notification_outbox_channel_check', `"channel" IN ('email', 'sms', 'push', 'webhook')`)
@Check('notification_outbox_status_check', `"status" IN ('pending', 'sent', 'dead', 'expired')`)
// The claim's search reads the id from the index itself (an index-only scan).
@Index('notification_outbox_due_idx', ['channel', 'nextAttemptAt', 'id'], {
  where: `"status" = 'pending'`,
})
@Index('notification_outbox_status_idx', ['status', 'createdAt'])
export class OutboxMessageEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'notification_outbox_pkey' })
  id!: string;

  @Column({ type: 'varchar', length: 16, default: OutboxChannel.Email })
  channel!: OutboxChannel;

  // An e-mail address, a phone number, a user id (push) or a webhook endpoint id.
  @Column({ type: 'varchar', length: 254 })
  recipient!: string;

  @Column({ type: 'varchar', length: 64 })
  kind!: string;

  @Column({ type: 'jsonb' })
  payload!: Record<string, unknown>;

  @Column({ type: 'varchar', length: 16, default: OutboxStatus.Pending })
  status!: OutboxStatus;

  // Attempts started (counted when a relay claims the row, so a crash mid-delivery counts).
  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ name: 'next_attempt_at', type: 'timestamptz', default: () => 'now()' })
  nextAttemptAt!: Date;

  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt!: Date | null;

  // A short code of the last failure (never a payload or a provider's full answer).
  @Column({ name: 'last_error', type: 'varchar', length: 200, nullable: true })
  lastError!: string | null;

  @Column({ name: 'last_attempt_at', type: 'timestamptz', nullable: true })
  lastAttemptAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'sent_at', type: 'timestamptz', nullable: true })
  sentAt!: Date | null;

  @Column({ name: 'dead_at', type: 'timestamptz', nullable: true })
  deadAt!: Date | null;

  // When the secrets in the payload (one-time tokens) were removed.
  @Column({ name: 'scrubbed_at', type: 'timestamptz', nullable: true })
  scrubbedAt!: Date | null;
}
