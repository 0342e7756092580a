import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
} from 'typeorm';
import { UserEntity } from '../../users/user.entity';

// What a single-use token lets its holder do once. A token of one purpose is never accepted
// for another.
export enum SingleUseTokenPurpose {
  PasswordReset = 'password_reset',
  EmailVerification = 'email_verification',
}

// A single-use token (password reset, e-mail verification), stored only as its SHA-256.
@Entity({ name: 'auth_single_use_tokens' })
@Check(
  'auth_single_use_tokens_purpose_check',
  `"purpose" IN ('password_reset', 'email_verification')`,
)
@Index('auth_single_use_tokens_user_purpose_idx', ['userId', 'purpose'])
export class SingleUseTokenEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'auth_single_use_tokens_pkey' })
  id!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'auth_single_use_tokens_user_id_fkey' })
  user?: UserEntity;

  @Column({ type: 'varchar', length: 32 })
  purpose!: SingleUseTokenPurpose;

  @Index('auth_single_use_tokens_token_hash_key', { unique: true })
  @Column({ name: 'token_hash', type: 'char', length: 64 })
  tokenHash!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ name: 'used_at', type: 'timestamptz', nullable: true })
  usedAt!: Date | null;
}
