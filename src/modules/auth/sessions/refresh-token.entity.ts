import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
} from 'typeorm';
import { DeviceSessionEntity } from './device-session.entity';

// A refresh token, stored only as its SHA-256. Rotated rows are kept so that presenting one
// again is recognised as reuse.
@Entity({ name: 'auth_refresh_tokens' })
export class RefreshTokenEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'auth_refresh_tokens_pkey' })
  id!: string;

  @Index('auth_refresh_tokens_session_id_idx')
  @Column({ name: 'session_id', type: 'uuid' })
  sessionId!: string;

  @ManyToOne(() => DeviceSessionEntity, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({
    name: 'session_id',
    foreignKeyConstraintName: 'auth_refresh_tokens_session_id_fkey',
  })
  session?: DeviceSessionEntity;

  @Index('auth_refresh_tokens_token_hash_key', { unique: true })
  @Column({ name: 'token_hash', type: 'char', length: 64 })
  tokenHash!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'rotated_at', type: 'timestamptz', nullable: true })
  rotatedAt!: Date | null;
}
