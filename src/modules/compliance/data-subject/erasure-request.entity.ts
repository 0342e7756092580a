import {
  Check,
  Column,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
} from 'typeorm';
import { UserEntity } from '../../users/user.entity';

export enum ErasureStatus {
  Open = 'open',
  Erased = 'erased',
  Rejected = 'rejected',
}

// A person's request to have their data erased (KVKK art. 7, 11): answered within 30 days.
@Entity({ name: 'erasure_requests' })
@Check('erasure_requests_status_check', `"status" IN ('open', 'erased', 'rejected')`)
@Index('erasure_requests_one_open_per_user', ['userId'], {
  unique: true,
  where: `"status" = 'open'`,
})
@Index('erasure_requests_status_due_idx', ['status', 'dueAt', 'id'])
export class ErasureRequestEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @ManyToOne(() => UserEntity, { onDelete: 'RESTRICT', nullable: false })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'erasure_requests_user_id_fkey' })
  user?: UserEntity;

  @Column({ type: 'varchar', length: 16 })
  status!: ErasureStatus;

  @Column({ name: 'requested_at', type: 'timestamptz', default: () => 'now()' })
  requestedAt!: Date;

  @Column({ name: 'due_at', type: 'timestamptz' })
  dueAt!: Date;

  @Column({ name: 'decided_at', type: 'timestamptz', nullable: true })
  decidedAt!: Date | null;

  @Column({ name: 'decided_by_id', type: 'uuid', nullable: true })
  decidedById!: string | null;

  // Why a request was rejected (required then), for the person and the regulator.
  @Column({ type: 'varchar', length: 1000, nullable: true })
  reason!: string | null;
}

// What one approved erasure destroyed: counts per export section, who, when and how. Never
// the destroyed values. Kept as the proof KVKK's destruction regulation asks for.
@Entity({ name: 'erasure_destruction_records' })
@Index('erasure_destruction_records_subject_idx', ['subjectId'])
export class DestructionRecordEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'request_id', type: 'uuid' })
  requestId!: string;

  @ManyToOne(() => ErasureRequestEntity, { onDelete: 'RESTRICT', nullable: false })
  @JoinColumn({
    name: 'request_id',
    foreignKeyConstraintName: 'erasure_destruction_records_request_id_fkey',
  })
  request?: ErasureRequestEntity;

  @Column({ name: 'subject_id', type: 'uuid' })
  subjectId!: string;

  @Column({ name: 'performed_by_id', type: 'uuid' })
  performedById!: string;

  @Column({ name: 'performed_at', type: 'timestamptz', default: () => 'now()' })
  performedAt!: Date;

  @Column({ type: 'varchar', length: 64 })
  method!: string;

  @Column({ type: 'jsonb' })
  destroyed!: Record<string, number>;
}
