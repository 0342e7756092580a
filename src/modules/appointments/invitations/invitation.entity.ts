import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  Unique,
  UpdateDateColumn,
} from 'typeorm';
import { UserEntity } from '../../users/user.entity';
import { AppointmentEntity } from '../booking/appointment.entity';

// Who an invitation lets in (docs/appointments.md, "Invitations").
export enum InvitationRole {
  Patient = 'patient',
  Guest = 'guest',
  Interpreter = 'interpreter',
  Companion = 'companion',
}

// One invitation link to one appointment's room (migration 1763701710000). The token is kept
// as its SHA-256 only; `deviceHash` is the hash of the device secret handed to the first
// device that redeemed it. `guestId` is the guest actor (a `users` row of role `guest`).
@Entity({ name: 'appointment_invitations' })
@Check(
  'appointment_invitations_role_check',
  `"role" IN ('patient', 'guest', 'interpreter', 'companion')`,
)
@Check('appointment_invitations_email_lower_check', `"email" = lower("email")`)
@Unique('appointment_invitations_token_hash_key', ['tokenHash'])
@Index('appointment_invitations_appointment_idx', ['appointmentId'])
@Index('appointment_invitations_guest_idx', ['guestId'])
@Index('appointment_invitations_email_idx', ['email'], { where: `"email" IS NOT NULL` })
@Index('appointment_invitations_phone_idx', ['phone'], { where: `"phone" IS NOT NULL` })
export class InvitationEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'appointment_invitations_pkey' })
  id!: string;

  @Column({ name: 'appointment_id', type: 'uuid' })
  appointmentId!: string;

  @ManyToOne(() => AppointmentEntity, { nullable: false, onDelete: 'CASCADE' })
  @JoinColumn({
    name: 'appointment_id',
    foreignKeyConstraintName: 'appointment_invitations_appointment_id_fkey',
  })
  appointment?: AppointmentEntity;

  @Column({ name: 'guest_id', type: 'uuid' })
  guestId!: string;

  @ManyToOne(() => UserEntity, { nullable: false, onDelete: 'CASCADE' })
  @JoinColumn({
    name: 'guest_id',
    foreignKeyConstraintName: 'appointment_invitations_guest_id_fkey',
  })
  guest?: UserEntity;

  @Column({ type: 'varchar', length: 16 })
  role!: InvitationRole;

  @Column({ type: 'varchar', length: 120 })
  name!: string;

  @Column({ type: 'varchar', length: 254, nullable: true })
  email!: string | null;

  // E.164, as libphonenumber-js normalized it.
  @Column({ type: 'varchar', length: 20, nullable: true })
  phone!: string | null;

  @Column({ type: 'varchar', length: 8, nullable: true })
  locale!: string | null;

  @Column({ name: 'token_hash', type: 'char', length: 64 })
  tokenHash!: string;

  @Column({ name: 'device_hash', type: 'char', length: 64, nullable: true })
  deviceHash!: string | null;

  @Column({ name: 'redeemed_at', type: 'timestamptz', nullable: true })
  redeemedAt!: Date | null;

  @Column({ name: 'last_sent_at', type: 'timestamptz', nullable: true })
  lastSentAt!: Date | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;

  @Column({ name: 'revoked_by', type: 'uuid', nullable: true })
  revokedBy!: string | null;

  @Column({ name: 'created_by', type: 'uuid', nullable: true })
  createdBy!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
