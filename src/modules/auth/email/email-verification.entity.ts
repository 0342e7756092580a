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

// A single-use e-mail verification token, stored only as its SHA-256.
@Entity({ name: 'auth_email_verifications' })
export class EmailVerificationEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'auth_email_verifications_pkey' })
  id!: string;

  @Index('auth_email_verifications_user_id_idx')
  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({
    name: 'user_id',
    foreignKeyConstraintName: 'auth_email_verifications_user_id_fkey',
  })
  user?: UserEntity;

  @Index('auth_email_verifications_token_hash_key', { unique: true })
  @Column({ name: 'token_hash', type: 'char', length: 64 })
  tokenHash!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ name: 'used_at', type: 'timestamptz', nullable: true })
  usedAt!: Date | null;
}
