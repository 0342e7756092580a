import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';

// Append-only: the database refuses UPDATE, DELETE and TRUNCATE (see the migration).
@Entity({ name: 'audit_events' })
@Check('audit_events_outcome_check', `"outcome" IN ('success', 'failure', 'denied')`)
@Index('audit_events_occurred_at_idx', ['occurredAt'])
@Index('audit_events_actor_idx', ['actorUserId', 'seq'])
@Index('audit_events_subject_idx', ['subjectId', 'seq'])
@Index('audit_events_action_idx', ['action', 'seq'])
@Index('audit_events_without_canonical_idx', ['seq'], { where: '"canonical" IS NULL' })
// Partial and expression indexes of migration 1763701850000 (access report, compliance alarms):
// declared so that the schema check knows them, kept by the migration's SQL.
@Index('audit_events_record_reads_idx', { synchronize: false })
@Index('audit_events_denied_idx', { synchronize: false })
@Index('audit_events_subject_ids_idx', { synchronize: false })
export class AuditEventEntity {
  // Gapless, assigned under the chain lock; bigint comes back from pg as a string.
  @PrimaryColumn({ type: 'bigint', primaryKeyConstraintName: 'audit_events_pkey' })
  seq!: string;

  @Column({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt!: Date;

  @Column({ name: 'actor_user_id', type: 'uuid', nullable: true })
  actorUserId!: string | null;

  @Column({ name: 'actor_role', type: 'varchar', length: 32, nullable: true })
  actorRole!: string | null;

  @Column({ name: 'actor_ip', type: 'varchar', length: 64, nullable: true })
  actorIp!: string | null;

  @Column({ name: 'actor_user_agent', type: 'varchar', length: 512, nullable: true })
  actorUserAgent!: string | null;

  @Column({ type: 'varchar', length: 64 })
  action!: string;

  @Column({ type: 'varchar', length: 16 })
  outcome!: string;

  @Column({ name: 'resource_type', type: 'varchar', length: 64, nullable: true })
  resourceType!: string | null;

  @Column({ name: 'resource_id', type: 'varchar', length: 128, nullable: true })
  resourceId!: string | null;

  @Column({ name: 'subject_id', type: 'uuid', nullable: true })
  subjectId!: string | null;

  @Column({ name: 'request_id', type: 'varchar', length: 128, nullable: true })
  requestId!: string | null;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  details!: Record<string, unknown>;

  @Column({ name: 'prev_hash', type: 'char', length: 64 })
  prevHash!: string;

  @Column({ type: 'char', length: 64 })
  hash!: string;

  // The exact text that was hashed (canonicalJson of the record), null for records written
  // before it was stored. Not selected by default: readers use the fields.
  @Column({ type: 'text', nullable: true, select: false })
  canonical!: string | null;
}
