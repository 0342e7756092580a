import { Check, Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type RetentionTrigger = 'schedule' | 'command';

// One run of the retention job and what it destroyed: the record KVKK asks for of every
// destruction (Regulation on Deletion, Destruction or Anonymization of Personal Data, art. 7).
// Counts and cut-offs only; no personal data.
@Entity({ name: 'retention_runs' })
@Check('retention_runs_trigger_check', `"trigger" IN ('schedule', 'command')`)
@Index('retention_runs_started_idx', ['startedAt'])
export class RetentionRunEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 16 })
  trigger!: RetentionTrigger;

  @Column({ name: 'started_at', type: 'timestamptz' })
  startedAt!: Date;

  @Column({ name: 'finished_at', type: 'timestamptz' })
  finishedAt!: Date;

  @Column({ name: 'sessions_before', type: 'timestamptz' })
  sessionsBefore!: Date;

  @Column({ name: 'calls_before', type: 'timestamptz' })
  callsBefore!: Date;

  @Column({ name: 'sessions_anonymized', type: 'integer' })
  sessionsAnonymized!: number;

  @Column({ name: 'session_participants_deleted', type: 'integer' })
  sessionParticipantsDeleted!: number;

  @Column({ name: 'calls_deleted', type: 'integer' })
  callsDeleted!: number;

  @Column({ name: 'call_participants_deleted', type: 'integer' })
  callParticipantsDeleted!: number;

  // Null on runs made before appointments were under retention.
  @Column({ name: 'appointments_before', type: 'timestamptz', nullable: true })
  appointmentsBefore!: Date | null;

  @Column({ name: 'appointments_deleted', type: 'integer', default: 0 })
  appointmentsDeleted!: number;

  // The audit retention in force, for the record: the job never deletes audit records.
  @Column({ name: 'audit_retention_days', type: 'integer' })
  auditRetentionDays!: number;
}
