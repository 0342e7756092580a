import {
  Check,
  Column,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  PrimaryGeneratedColumn,
} from 'typeorm';
import { RoomEntity } from '../rooms/room.entity';
import { UserEntity } from '../users/user.entity';

export enum SessionStatus {
  Active = 'active',
  Ended = 'ended',
}

// One live occurrence of a room. The partial unique index allows a single active session per
// room, so two instances racing to open one cannot both succeed.
@Entity({ name: 'room_sessions' })
@Check('room_sessions_status_check', `"status" IN ('active', 'ended')`)
@Index('room_sessions_one_active_per_room', ['roomId'], {
  unique: true,
  where: `"status" = 'active'`,
})
@Index('room_sessions_room_started_idx', ['roomId', 'startedAt'])
export class SessionEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'room_id', type: 'uuid' })
  roomId!: string;

  @ManyToOne(() => RoomEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'room_id', foreignKeyConstraintName: 'room_sessions_room_id_fkey' })
  room?: RoomEntity;

  @Column({ type: 'varchar', length: 16, default: SessionStatus.Active })
  status!: SessionStatus;

  @Column({ name: 'started_at', type: 'timestamptz' })
  startedAt!: Date;

  @Column({ name: 'ended_at', type: 'timestamptz', nullable: true })
  endedAt!: Date | null;

  @Column({ name: 'end_reason', type: 'varchar', length: 32, nullable: true })
  endReason!: string | null;

  // Set when retention removed who took part (docs/compliance.md); the session's times stay.
  @Column({ name: 'anonymized_at', type: 'timestamptz', nullable: true })
  anonymizedAt!: Date | null;
}

// One stay of a user in a session (a user who leaves and comes back has two rows). While
// `leftAt` is null the user is in the room: `socketId` is the joined device, or null while the
// reconnect grace runs until `graceUntil`. Any instance may expire a grace: the deadline lives
// here, not in a process timer.
@Entity({ name: 'session_participants' })
@Index('session_participants_live_user', ['sessionId', 'userId'], {
  unique: true,
  where: `"left_at" IS NULL`,
})
@Index('session_participants_grace_idx', ['graceUntil'], { where: `"grace_until" IS NOT NULL` })
@Index('session_participants_socket_idx', ['socketId'], { where: `"socket_id" IS NOT NULL` })
export class SessionParticipantEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'session_id', type: 'uuid' })
  sessionId!: string;

  @ManyToOne(() => SessionEntity, { onDelete: 'CASCADE' })
  @JoinColumn({
    name: 'session_id',
    foreignKeyConstraintName: 'session_participants_session_id_fkey',
  })
  session?: SessionEntity;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'session_participants_user_id_fkey' })
  user?: UserEntity;

  @Column({ name: 'joined_at', type: 'timestamptz' })
  joinedAt!: Date;

  @Column({ name: 'left_at', type: 'timestamptz', nullable: true })
  leftAt!: Date | null;

  @Column({ name: 'socket_id', type: 'varchar', length: 64, nullable: true })
  socketId!: string | null;

  @Column({ name: 'grace_until', type: 'timestamptz', nullable: true })
  graceUntil!: Date | null;

  // The instance holding `socketId`.
  @Column({ name: 'instance_id', type: 'varchar', length: 64, nullable: true })
  instanceId!: string | null;
}

// Users knocking at a room with a waiting room. Rows stay until the host admits the user or
// the user's socket goes away; a host's disconnect does not touch them.
@Entity({ name: 'room_waiting' })
export class WaitingEntryEntity {
  @PrimaryColumn({ name: 'room_id', type: 'uuid', primaryKeyConstraintName: 'room_waiting_pkey' })
  roomId!: string;

  @PrimaryColumn({ name: 'user_id', type: 'uuid', primaryKeyConstraintName: 'room_waiting_pkey' })
  userId!: string;

  @ManyToOne(() => RoomEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'room_id', foreignKeyConstraintName: 'room_waiting_room_id_fkey' })
  room?: RoomEntity;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'room_waiting_user_id_fkey' })
  user?: UserEntity;

  @Column({ name: 'socket_id', type: 'varchar', length: 64 })
  socketId!: string;

  @Column({ name: 'requested_at', type: 'timestamptz' })
  requestedAt!: Date;

  @Column({ name: 'instance_id', type: 'varchar', length: 64, nullable: true })
  instanceId!: string | null;
}
