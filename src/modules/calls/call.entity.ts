import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  OneToMany,
  PrimaryColumn,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import { RoomEntity } from '../rooms/room.entity';
import { UserEntity } from '../users/user.entity';
import type { CallStatus, CallType, EndReason, ParticipantState } from './call-state-machine';

// Per-metric running aggregate of the `call:stats` reports of one call.
export interface MetricSummary {
  min: number;
  max: number;
  sum: number;
  count: number;
}

export interface CallQuality {
  reports: number;
  rttMs?: MetricSummary;
  jitterMs?: MetricSummary;
  packetLossPct?: MetricSummary;
  bitrateKbps?: MetricSummary;
}

// A direct call (docs/calls.md). `ringDeadline` is when whoever is still ringing becomes
// missed: a column any instance can expire, not a process timer, so the timeout survives the
// loss of the instance that started the call.
@Entity({ name: 'calls' })
@Check('calls_type_check', `"type" IN ('audio', 'video')`)
@Check(
  'calls_status_check',
  `"status" IN ('ringing', 'active', 'ended', 'rejected', 'missed', 'cancelled')`,
)
@Index('calls_room_id_key', ['roomId'], { unique: true })
@Index('calls_ring_deadline_idx', ['ringDeadline'])
export class CallEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 8 })
  type!: CallType;

  @Column({ type: 'varchar', length: 16 })
  status!: CallStatus;

  @Column({ name: 'caller_id', type: 'uuid' })
  callerId!: string;

  @ManyToOne(() => UserEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'caller_id', foreignKeyConstraintName: 'calls_caller_id_fkey' })
  caller?: UserEntity;

  @Column({ name: 'room_id', type: 'uuid' })
  roomId!: string;

  @ManyToOne(() => RoomEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'room_id', foreignKeyConstraintName: 'calls_room_id_fkey' })
  room?: RoomEntity;

  @Column({ name: 'is_group', type: 'boolean', default: false })
  isGroup!: boolean;

  @Column({ name: 'ring_deadline', type: 'timestamptz', nullable: true })
  ringDeadline!: Date | null;

  @Column({ name: 'started_at', type: 'timestamptz', nullable: true })
  startedAt!: Date | null;

  @Column({ name: 'ended_at', type: 'timestamptz', nullable: true })
  endedAt!: Date | null;

  @Column({ name: 'end_reason', type: 'varchar', length: 32, nullable: true })
  endReason!: EndReason | null;

  @Column({ type: 'jsonb', nullable: true })
  quality!: CallQuality | null;

  // The signaling socket that started the call (null when started over REST): the device the
  // server joins to the call's room on accept.
  @Column({ name: 'caller_socket_id', type: 'varchar', length: 64, nullable: true })
  callerSocketId!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;

  @OneToMany(() => CallParticipantEntity, (p) => p.call)
  participants?: CallParticipantEntity[];
}

@Entity({ name: 'call_participants' })
@Check(
  'call_participants_state_check',
  `"state" IN ('ringing', 'joined', 'declined', 'left', 'missed')`,
)
@Index('call_participants_user_created_idx', ['userId', 'createdAt'])
export class CallParticipantEntity {
  @PrimaryColumn({
    name: 'call_id',
    type: 'uuid',
    primaryKeyConstraintName: 'call_participants_pkey',
  })
  callId!: string;

  @PrimaryColumn({
    name: 'user_id',
    type: 'uuid',
    primaryKeyConstraintName: 'call_participants_pkey',
  })
  userId!: string;

  @Column({ type: 'varchar', length: 16 })
  state!: ParticipantState;

  @Column({ name: 'joined_at', type: 'timestamptz', nullable: true })
  joinedAt!: Date | null;

  @Column({ name: 'left_at', type: 'timestamptz', nullable: true })
  leftAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @ManyToOne(() => CallEntity, (c) => c.participants, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'call_id', foreignKeyConstraintName: 'call_participants_call_id_fkey' })
  call?: CallEntity;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'call_participants_user_id_fkey' })
  user?: UserEntity;
}
