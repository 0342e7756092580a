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
import { UserEntity } from '../users/user.entity';

export enum RoomType {
  Consultation = 'consultation',
  Group = 'group',
  // A direct call's own room (calls module).
  Call = 'call',
}

export enum RoomStatus {
  Open = 'open',
  Closed = 'closed',
}

export enum MemberRole {
  Host = 'host',
  Participant = 'participant',
  // People let in by an appointment's invitation link, as the invitation names them
  // (docs/appointments.md, "Invitations"); a patient invited by link is a participant.
  Guest = 'guest',
  Interpreter = 'interpreter',
  Companion = 'companion',
}

// A patient a clinician added is `invited` until they accept (POST /rooms/:id/accept);
// everyone else is `active` from the start (docs/rooms.md).
export enum MemberStatus {
  Invited = 'invited',
  Active = 'active',
}

@Entity({ name: 'rooms' })
@Check('rooms_type_check', `"type" IN ('consultation', 'group', 'call')`)
@Check('rooms_status_check', `"status" IN ('open', 'closed')`)
@Check('rooms_max_participants_check', `"max_participants" BETWEEN 2 AND 50`)
export class RoomEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 120 })
  name!: string;

  @Column({ type: 'varchar', length: 16 })
  type!: RoomType;

  @Index('rooms_host_id_idx')
  @Column({ name: 'host_id', type: 'uuid' })
  hostId!: string;

  @ManyToOne(() => UserEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'host_id', foreignKeyConstraintName: 'rooms_host_id_fkey' })
  host?: UserEntity;

  @Column({ type: 'varchar', length: 16, default: RoomStatus.Open })
  status!: RoomStatus;

  @Column({ name: 'waiting_room', type: 'boolean', default: false })
  waitingRoom!: boolean;

  @Column({ name: 'max_participants', type: 'integer', default: 2 })
  maxParticipants!: number;

  @Column({ name: 'scheduled_for', type: 'timestamptz', nullable: true })
  scheduledFor!: Date | null;

  @Column({ name: 'closed_at', type: 'timestamptz', nullable: true })
  closedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;

  @OneToMany(() => RoomMemberEntity, (m) => m.room)
  members?: RoomMemberEntity[];
}

@Entity({ name: 'room_members' })
@Check(
  'room_members_role_check',
  `"role" IN ('host', 'participant', 'guest', 'interpreter', 'companion')`,
)
@Check('room_members_status_check', `"status" IN ('invited', 'active')`)
@Index('room_members_user_id_idx', ['userId'])
export class RoomMemberEntity {
  @PrimaryColumn({ name: 'room_id', type: 'uuid', primaryKeyConstraintName: 'room_members_pkey' })
  roomId!: string;

  @PrimaryColumn({ name: 'user_id', type: 'uuid', primaryKeyConstraintName: 'room_members_pkey' })
  userId!: string;

  @Column({ type: 'varchar', length: 16 })
  role!: MemberRole;

  @Column({ type: 'varchar', length: 16, default: MemberStatus.Active })
  status!: MemberStatus;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @ManyToOne(() => RoomEntity, (r) => r.members, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'room_id', foreignKeyConstraintName: 'room_members_room_id_fkey' })
  room?: RoomEntity;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'room_members_user_id_fkey' })
  user?: UserEntity;
}
