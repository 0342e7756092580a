import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
} from 'typeorm';
import { UserEntity } from '../../users/user.entity';

// Why a session ended; shown to its owner and recorded in the audit trail.
export enum SessionRevocationReason {
  Logout = 'logout',
  Revoked = 'revoked',
  TokenReuse = 'token_reuse',
  IdleTimeout = 'idle_timeout',
  Expired = 'expired',
  PasswordReset = 'password_reset',
  UserDeactivated = 'user_deactivated',
  RoleChanged = 'role_changed',
  // A guest's invitation was revoked (docs/appointments.md, "Invitations").
  InvitationRevoked = 'invitation_revoked',
}

// One login on one device. It is also the refresh-token family: every refresh token issued
// from this login belongs to it, and revoking it kills them all.
@Entity({ name: 'auth_sessions' })
export class DeviceSessionEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'auth_sessions_pkey' })
  id!: string;

  @Index('auth_sessions_user_id_idx')
  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'auth_sessions_user_id_fkey' })
  user?: UserEntity;

  @Column({ name: 'user_agent', type: 'varchar', length: 512, nullable: true })
  userAgent!: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ip!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'last_used_at', type: 'timestamptz' })
  lastUsedAt!: Date;

  // Absolute end of the session, whatever the activity.
  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;

  @Column({ name: 'revoked_reason', type: 'varchar', length: 32, nullable: true })
  revokedReason!: SessionRevocationReason | null;
}
