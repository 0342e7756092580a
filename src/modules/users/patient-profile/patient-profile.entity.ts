import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  UpdateDateColumn,
} from 'typeorm';
import { UserEntity } from '../user.entity';

// A person's data key, wrapped by the master key `keyId` (see patient-data-cipher.ts).
@Entity({ name: 'patient_data_keys' })
@Index('patient_data_keys_key_id_idx', ['keyId'])
export class PatientDataKeyEntity {
  @PrimaryColumn({
    name: 'user_id',
    type: 'uuid',
    primaryKeyConstraintName: 'patient_data_keys_pkey',
  })
  userId!: string;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'patient_data_keys_user_id_fkey' })
  user?: UserEntity;

  @Column({ name: 'key_id', type: 'varchar', length: 32 })
  keyId!: string;

  @Column({ name: 'wrapped_key', type: 'varchar', length: 255 })
  wrappedKey!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'rotated_at', type: 'timestamptz', nullable: true })
  rotatedAt!: Date | null;
}

// The encrypted profile: every personal field is AES-256-GCM ciphertext under the person's
// data key; the national id is also findable through its keyed blind index.
@Entity({ name: 'patient_profiles' })
@Index('patient_profiles_national_id_index_idx', ['nationalIdIndex'])
export class PatientProfileEntity {
  @PrimaryColumn({
    name: 'user_id',
    type: 'uuid',
    primaryKeyConstraintName: 'patient_profiles_pkey',
  })
  userId!: string;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'patient_profiles_user_id_fkey' })
  user?: UserEntity;

  @Column({ name: 'national_id', type: 'varchar', length: 255, nullable: true })
  nationalId!: string | null;

  @Column({ name: 'national_id_index', type: 'char', length: 64, nullable: true })
  nationalIdIndex!: string | null;

  @Column({ name: 'date_of_birth', type: 'varchar', length: 255, nullable: true })
  dateOfBirth!: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  phone!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
