import { Column, CreateDateColumn, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { UserEntity } from '../../users/user.entity';

// A user's TOTP secret. It exists from setup on; MFA is on once `enabledAt` is set.
@Entity({ name: 'auth_mfa' })
export class MfaSecretEntity {
  @PrimaryColumn({ name: 'user_id', type: 'uuid', primaryKeyConstraintName: 'auth_mfa_pkey' })
  userId!: string;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'auth_mfa_user_id_fkey' })
  user?: UserEntity;

  // AES-256-GCM under a key derived from DATA_ENCRYPTION_KEY (see secret-box.ts).
  @Column({ name: 'secret_ciphertext', type: 'varchar', length: 512 })
  secretCiphertext!: string;

  @Column({ name: 'enabled_at', type: 'timestamptz', nullable: true })
  enabledAt!: Date | null;

  // The RFC 6238 time step of the last accepted code: a code at or before it is a replay.
  // bigint comes back from pg as a string.
  @Column({ name: 'last_time_step', type: 'bigint', nullable: true })
  lastTimeStep!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
