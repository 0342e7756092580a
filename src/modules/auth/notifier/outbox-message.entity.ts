import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

// A message for a person (e.g. a password reset link) waiting for a delivery channel. The
// outbox is a mail queue: a sender delivers pending rows and sets `sentAt`.
@Entity({ name: 'notification_outbox' })
@Index('notification_outbox_pending_idx', ['sentAt', 'createdAt'])
export class OutboxMessageEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'notification_outbox_pkey' })
  id!: string;

  @Column({ type: 'varchar', length: 254 })
  recipient!: string;

  @Column({ type: 'varchar', length: 64 })
  kind!: string;

  @Column({ type: 'jsonb' })
  payload!: Record<string, unknown>;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'sent_at', type: 'timestamptz', nullable: true })
  sentAt!: Date | null;
}
